/* CRC-32/IEEE (zlib's crc32: reflected, poly 0xEDB88320, init and xorout 0xFFFFFFFF). */
#ifndef RP_CRC_H
#define RP_CRC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC-32 over len bytes. Start with crc = 0 and feed the pieces in order; the
 * result equals zlib.crc32(all bytes), so running CRCs compose like zlib.crc32(data, crc).
 */
uint32_t rp_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
