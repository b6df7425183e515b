/*
 * Chip algorithms on the HAL's bus: EPROM quick-pulse and standard, 28C byte and page writes
 * with software data protection, AT29 sector programming, JEDEC byte program and erase,
 * software and A9 identification. Written from the datasheets (programmers.md section 5).
 */
#ifndef RP_CHIP_H
#define RP_CHIP_H

#include <stdint.h>

#include "rp_proto.h"

/* Largest page/sector the page algorithms handle (AT29C010A sectors: 128 bytes). */
#define RP_CHIP_MAX_PAGE 256u

/* Outcome of programming one unit (one DATA frame). */
struct rp_unit_result {
    uint8_t status;     /* RP_OK, RP_PROGRAM_FAIL, RP_TIMEOUT or RP_VPP_FAULT */
    uint32_t address;   /* first failing address */
    uint8_t wanted;     /* byte wanted there */
    uint8_t read;       /* what the chip returned */
    uint8_t pulses;     /* pulses or attempts spent on the failing byte */
    uint8_t max_pulses; /* most pulses any byte of the unit needed */
    uint16_t retried;   /* bytes or pages that needed more than one pulse/attempt */
    uint16_t measured_mv; /* VPP the ADC saw (RP_VPP_FAULT) */
};

/* True when the profile's part takes program pulses and needs VPP (27xx EPROMs). */
uint8_t rp_is_eprom(const struct rp_profile *p);

/*
 * Raise the socket to programming levels: VCC to vcc_prog, then VPP (EPROMs), and check the
 * measured VPP against the profile's window. On a fault VPP is switched off again and
 * *measured_mv tells what the ADC saw. Returns RP_OK or RP_VPP_FAULT.
 */
uint8_t rp_power_program(const struct rp_profile *p, uint16_t *measured_mv);
/* Back to read levels: VPP off first, then VCC to vcc_verify. */
void rp_power_read(const struct rp_profile *p);
/* True while VPP is applied. */
uint8_t rp_vpp_is_on(void);
/* Record that VPP was switched off behind the algorithms' back (watchdog, overcurrent). */
void rp_vpp_forget(void);

/*
 * Called by the algorithms after each byte or page of a unit (done: bytes of the unit
 * finished), so the protocol engine can report progress during a long unit. Defined by the
 * core.
 */
void rp_unit_progress(uint16_t done);

/*
 * Called by the erase polls between polls: the core sends EVT PROGRESS at most every 100 ms
 * so the host sees a busy board, not a silent one. Defined by the core.
 */
void rp_busy_tick(void);

/* Program and verify n bytes at addr with the profile's algorithm. */
void rp_program_unit(const struct rp_profile *p, uint32_t addr, const uint8_t *data, uint16_t n,
                     struct rp_unit_result *r);

/* JEDEC chip erase; returns RP_OK, RP_ERASE_FAIL or RP_TIMEOUT. */
uint8_t rp_erase_chip(const struct rp_profile *p);
/* JEDEC sector erase of the sector holding addr. */
uint8_t rp_erase_sector(const struct rp_profile *p, uint32_t addr);

/* JEDEC software id (AA/55/90, read 0 and 1, AA/55/F0). */
void rp_software_id(uint8_t *mfr, uint8_t *dev);
/* EPROM electronic signature with A9 at 12 V. */
void rp_signature_id(const struct rp_profile *p, uint8_t *mfr, uint8_t *dev);

#endif
