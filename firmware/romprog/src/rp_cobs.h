/* Consistent Overhead Byte Stuffing (PROTOCOL.md section 2). */
#ifndef RP_COBS_H
#define RP_COBS_H

#include <stdint.h>

/*
 * Encode n bytes of src into dst (no delimiter). dst needs n + n/254 + 1 bytes and must not
 * overlap src. Returns the encoded length.
 */
uint16_t rp_cobs_encode(const uint8_t *src, uint16_t n, uint8_t *dst);
/*
 * Decode n COBS bytes in place (the decoded frame is never longer). Returns the decoded length,
 * or -1 when the input is not valid COBS (a zero byte, or a code running past the end).
 */
int32_t rp_cobs_decode(uint8_t *buf, uint16_t n);

#endif
