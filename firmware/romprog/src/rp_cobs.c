/* COBS codec; the decoder works in place so the receive buffer is the frame buffer. */
#include "rp_cobs.h"

/* A code byte of 0xFF means "254 data bytes and no zero after them". */
#define COBS_MAX_RUN 0xFFu

uint16_t rp_cobs_encode(const uint8_t *src, uint16_t n, uint8_t *dst)
{
    uint16_t out = 1;   /* next free byte in dst */
    uint16_t code_at = 0; /* where the current block's code byte goes */
    uint8_t code = 1;

    for (uint16_t i = 0; i < n; i++) {
        if (src[i] == 0) {
            dst[code_at] = code;
            code_at = out++;
            code = 1;
            continue;
        }
        dst[out++] = src[i];
        if (++code == COBS_MAX_RUN) {
            dst[code_at] = code;
            if (i + 1 == n) {
                return out; /* a full block at the very end needs no closing code */
            }
            code_at = out++;
            code = 1;
        }
    }
    dst[code_at] = code;
    return out;
}

int32_t rp_cobs_decode(uint8_t *buf, uint16_t n)
{
    uint16_t in = 0;
    uint16_t out = 0;

    while (in < n) {
        uint8_t code = buf[in++];
        if (code == 0 || (uint16_t)(in + code - 1) > n) {
            return -1;
        }
        for (uint8_t k = 1; k < code; k++) {
            uint8_t b = buf[in++];
            if (b == 0) {
                return -1;
            }
            buf[out++] = b;
        }
        /* A zero follows every block except a full one and the last one. */
        if (code != COBS_MAX_RUN && in < n) {
            buf[out++] = 0;
        }
    }
    return out;
}
