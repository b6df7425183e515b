/*
 * Board limits announced in HELLO (PROTOCOL.md section 4). Both HALs share them so the host
 * build behaves like the ATmega2560 board, buffer for buffer.
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#define RP_FW_MAJOR 1
#define RP_FW_MINOR 0
/* Largest payload accepted and sent. 512 keeps a 27C512 write at 115200 baud wire-bound with
 * 1 % framing overhead; four of them fit the ATmega2560's 8 KiB SRAM with room to spare. */
#define RP_MAX_PAYLOAD 512u
#define RP_DATA_PER_FRAME (RP_MAX_PAYLOAD - 4u)
/* Write data in flight beyond the last committed ack: four DATA frames. The UART ring on the
 * AVR holds them raw while the chip programs the current one. */
#define RP_WINDOW 2048u
/* Address lines on the socket: A0..A18, 512 KiB (27C040, SST39SF040). */
#define RP_ADDRESS_BITS 19u
/* VPP supply range: the shield's boost converter is set from 11.5 V (12 V-class CMOS parts)
 * to 21.5 V (NMOS 2764/27128 at 21 V); VCC range up to 6.5 V for Atmel "rapid" programming. */
#define RP_VPP_MIN_MV 11500u
#define RP_VPP_MAX_MV 21500u
#define RP_VCC_MIN_MV 4500u
#define RP_VCC_MAX_MV 6500u
/* Host-silence watchdog default (PROTOCOL.md section 3). */
#define RP_WATCHDOG_MS 2000u
/* After SET_BAUD, fall back to the start rate if no valid frame comes within this time. */
#define RP_BAUD_REVERT_MS 500u
#define RP_START_BAUD 115200ul
#define RP_MIN_BAUD 1200ul
#define RP_MAX_BAUD 4000000ul
/* EVT PROGRESS at most this often during long device-side runs. */
#define RP_PROGRESS_MS 100u
/* Reads are done in chunks of this many bytes during CRC/blank/block-info runs. */
#define RP_SCRATCH 256u
/* Write streams that ended early whose final answer is kept for late DATA frames. */
#define RP_ENDED_STREAMS 2u

/* Longest COBS-encoded frame: raw frame + 1 code byte per 254 + 1. */
#define RP_RAW_MAX (RP_MAX_PAYLOAD + 12u)
#define RP_ENC_MAX (RP_RAW_MAX + RP_RAW_MAX / 254u + 2u)

#endif
