/* Compiler/target glue: constant tables in flash on AVR, plain const elsewhere. */
#ifndef RP_PLATFORM_H
#define RP_PLATFORM_H

#ifdef __AVR__
#include <avr/pgmspace.h>
#define RP_FLASH PROGMEM
#define RP_FLASH_U32(p) pgm_read_dword(p)
#else
#define RP_FLASH
#define RP_FLASH_U32(p) (*(p))
#endif

#endif
