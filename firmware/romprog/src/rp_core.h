/* The protocol engine: framing, commands, bulk streams and the host-silence watchdog. */
#ifndef RP_CORE_H
#define RP_CORE_H

#include <stdint.h>

/* Reset every stream and power the socket down. board: HELLO board id. */
void rp_core_init(uint8_t board, uint16_t watchdog_ms, uint32_t clock_khz);
/* Run once per main-loop pass: take received bytes, run commands, watch the host. */
void rp_core_poll(void);

#endif
