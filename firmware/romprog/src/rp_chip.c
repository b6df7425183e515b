/*
 * Chip algorithms (PROTOCOL.md section 10, programmers.md section 5).
 *
 * Status polling never reads a clock: each poll costs a bounded delay, and the number of polls
 * is the time budget divided by that delay, so a stuck part ends in RP_TIMEOUT after the
 * profile's write_us (or erase_ms) whatever the HAL's clock does.
 */
#include "rp_chip.h"

#include "rp_hal.h"

/* JEDEC command cycles (SST39SF, Am29F, AT28C, AT29C datasheets, "software command sequence"). */
enum {
    UNLOCK1_ADDR = 0x5555,
    UNLOCK2_ADDR = 0x2AAA,
};
enum jedec_cmd {
    UNLOCK1_DATA = 0xAA,
    UNLOCK2_DATA = 0x55,
    CMD_PROGRAM = 0xA0,     /* byte program, and the SDP write prefix */
    CMD_ERASE_SETUP = 0x80,
    CMD_CHIP_ERASE = 0x10,
    CMD_SECTOR_ERASE = 0x30,
    CMD_ID_ENTRY = 0x90,
    CMD_ID_EXIT = 0xF0,
};

#define DQ7 0x80u /* Data# polling: the complement of the written bit while busy */
#define DQ6 0x40u /* toggle bit: flips on every read while busy */
#define DQ5 0x20u /* AMD "exceeded timing limits": the embedded algorithm gave up */

/* VPP/VCC regulators settle within 1 ms after a level change (shield design budget). */
#define RAIL_SETTLE_US 1000u
/* The OE/VPP pin switch (27C512) is a transistor pair: on or off within 2 µs. */
#define VPP_SWITCH_US 2u
/* Measured VPP may differ from the profile's level by this much: the regulator's 2 % plus
 * the divider and ADC error. Datasheets give ±0.25 V around 12.75 V. */
#define VPP_TOLERANCE_MV 300u
/* Shortest pause between two status polls (one read loop on a 16 MHz AVR). */
#define MIN_POLL_US 2u
/* Status polls spread over a write's maximum time: at most 1/64 of tWC is lost to the
 * granularity, and a 10 ms page costs 64 polls, not 5000. */
#define POLL_STEPS 64u
/* Pause between toggle-bit polls during an erase (flashrom: 8 ms). */
#define ERASE_POLL_US 8000ul
/* Atmel parts need 10 ms after the software-id entry (flashrom probe_timing). */
#define ID_ENTRY_US 10000u
/* Budgets when the profile leaves them 0: 28C/AT29 tWC max, Am29F010 chip erase x2. */
#define DEFAULT_WRITE_US 10000ul
#define DEFAULT_ERASE_MS 60000ul

static uint8_t vpp_on;
static uint8_t prog_levels; /* VCC at vcc_prog and VPP checked */
static uint8_t page_back[RP_CHIP_MAX_PAGE];

uint8_t rp_is_eprom(const struct rp_profile *p)
{
    return p->algorithm == RP_ALG_EPROM_QUICKPULSE || p->algorithm == RP_ALG_EPROM_STANDARD;
}

static uint8_t oe_vpp_shared(const struct rp_profile *p)
{
    return (p->flags & RP_FLAG_OE_VPP_SHARED) != 0;
}

uint8_t rp_vpp_is_on(void)
{
    return vpp_on;
}

void rp_vpp_forget(void)
{
    vpp_on = 0;
    prog_levels = 0;
}

static void vpp_set(uint16_t mv)
{
    hal_vpp(mv);
    vpp_on = mv != 0;
}

uint8_t rp_power_program(const struct rp_profile *p, uint16_t *measured_mv)
{
    *measured_mv = 0;
    if (!p->vpp_mv) {
        return RP_OK; /* a 5 V part: nothing to raise */
    }
    hal_vcc(p->vcc_prog_mv);
    vpp_set(p->vpp_mv);
    hal_delay_us(RAIL_SETTLE_US);
    uint16_t mv = hal_vpp_measure();
    *measured_mv = mv;
    uint16_t lo = p->vpp_mv > VPP_TOLERANCE_MV ? p->vpp_mv - VPP_TOLERANCE_MV : 0;
    if (mv < lo || mv > p->vpp_mv + VPP_TOLERANCE_MV) {
        /* Never pulse with a wrong VPP: too low programs nothing, too high kills the die. */
        rp_power_read(p);
        return RP_VPP_FAULT;
    }
    prog_levels = 1;
    if (oe_vpp_shared(p)) {
        /* The shared pin goes back to OE (low) until the first pulse needs VPP. */
        vpp_set(0);
        hal_delay_us(VPP_SWITCH_US);
    }
    return RP_OK;
}

void rp_power_read(const struct rp_profile *p)
{
    if (vpp_on || prog_levels) {
        prog_levels = 0;
        vpp_set(0);
        hal_vcc(p->vcc_verify_mv);
        hal_delay_us(RAIL_SETTLE_US);
    }
}

static void unlock(void)
{
    hal_write(UNLOCK1_ADDR, UNLOCK1_DATA);
    hal_write(UNLOCK2_ADDR, UNLOCK2_DATA);
}

static uint32_t poll_step(uint32_t max_us)
{
    uint32_t step = max_us / POLL_STEPS;
    return step < MIN_POLL_US ? MIN_POLL_US : step;
}

/*
 * Data# polling at addr until it reads wanted or max_us pass. Returns 1 when it read back as
 * wanted; *last holds the final read. With dq5 (JEDEC embedded-algorithm flash), DQ5 set while
 * DQ7 is still wrong ends the wait early: the part gave up. Page parts show the loaded byte's
 * other bits while busy, so their DQ5 means nothing.
 */
static uint8_t poll(uint32_t addr, uint8_t wanted, uint32_t max_us, uint8_t dq5, uint8_t *last)
{
    uint32_t step = poll_step(max_us);
    uint32_t waited = 0;
    uint8_t value = hal_read(addr);
    for (;;) {
        if ((value & DQ7) == (wanted & DQ7) || (dq5 && (value & DQ5))) {
            /* DQ7 valid (or the part gave up): the other bits are valid on the next read. */
            value = hal_read(addr);
            *last = value;
            return value == wanted;
        }
        if (waited >= max_us) {
            *last = value;
            return 0;
        }
        hal_delay_us(step);
        waited += step;
        value = hal_read(addr);
        hal_kick();
    }
}

static uint8_t eprom_verify_read(const struct rp_profile *p, uint32_t addr)
{
    if (oe_vpp_shared(p) && vpp_on) {
        vpp_set(0);
        hal_delay_us(VPP_SWITCH_US);
    }
    return hal_read(addr);
}

static void eprom_pulse(const struct rp_profile *p, uint32_t addr, uint8_t value, uint32_t us)
{
    if (!vpp_on) {
        vpp_set(p->vpp_mv);
        hal_delay_us(VPP_SWITCH_US);
    }
    hal_pulse(addr, value, us);
}

/*
 * Quick-pulse (and standard, which is the same loop with one long pulse): per byte, pulse and
 * read back until it matches or max_pulses are spent, then the over-program pulse.
 */
static void eprom_unit(const struct rp_profile *p, uint32_t addr, const uint8_t *data,
                       uint16_t n, struct rp_unit_result *r)
{
    for (uint16_t i = 0; i < n; i++) {
        uint32_t a = addr + i;
        uint8_t want = data[i];
        uint8_t have = eprom_verify_read(p, a);
        if (have == want) {
            continue; /* already programmed: no pulse (PROTOCOL.md section 10) */
        }
        uint8_t pulses = 0;
        while (pulses < p->max_pulses) {
            eprom_pulse(p, a, want, p->pulse_us);
            pulses++;
            have = eprom_verify_read(p, a);
            if (have == want) {
                break;
            }
        }
        if (pulses > r->max_pulses) {
            r->max_pulses = pulses;
        }
        if (have != want) {
            r->status = RP_PROGRAM_FAIL;
            r->address = a;
            r->wanted = want;
            r->read = have;
            r->pulses = pulses;
            return;
        }
        if (p->overprogram) {
            eprom_pulse(p, a, want, (uint32_t)p->overprogram * pulses * p->pulse_us);
        }
        if (pulses > 1) {
            r->retried++;
        }
        rp_unit_progress(i + 1);
    }
}

static void jedec_unit(const struct rp_profile *p, uint32_t addr, const uint8_t *data,
                       uint16_t n, struct rp_unit_result *r)
{
    uint32_t max_us = p->write_us ? p->write_us : DEFAULT_WRITE_US;
    uint8_t attempts_max = p->max_pulses ? p->max_pulses : 1;
    for (uint16_t i = 0; i < n; i++) {
        uint32_t a = addr + i;
        uint8_t want = data[i];
        if (hal_read(a) == want) {
            continue;
        }
        uint8_t ok = 0;
        uint8_t value = 0;
        uint8_t attempts = 0;
        while (attempts < attempts_max) {
            attempts++;
            unlock();
            hal_write(UNLOCK1_ADDR, CMD_PROGRAM);
            hal_write(a, want);
            if (poll(a, want, max_us, 1, &value)) {
                ok = 1;
                break;
            }
            if ((value & want) != want) {
                break; /* a 1 is needed where the cell holds 0: only an erase helps */
            }
        }
        if (attempts > r->max_pulses) {
            r->max_pulses = attempts;
        }
        if (!ok) {
            r->status = (value & DQ7) != (want & DQ7) && !(value & DQ5) ? RP_TIMEOUT
                                                                        : RP_PROGRAM_FAIL;
            r->address = a;
            r->wanted = want;
            r->read = value;
            r->pulses = attempts;
            return;
        }
        if (attempts > 1) {
            r->retried++;
        }
        rp_unit_progress(i + 1);
    }
}

static uint8_t same(const uint8_t *a, const uint8_t *b, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

/*
 * 28C byte/page writes and AT29 sectors: optional SDP prefix, load the page with no pause
 * (each byte well inside tBLC), Data# poll on the last byte for up to write_us, read back.
 */
static void page_unit(const struct rp_profile *p, uint32_t addr, const uint8_t *data,
                      uint16_t n, uint16_t page, struct rp_unit_result *r)
{
    uint32_t max_us = p->write_us ? p->write_us : DEFAULT_WRITE_US;
    uint8_t attempts_max = p->max_pulses ? p->max_pulses : 1;
    uint8_t at29 = p->algorithm == RP_ALG_AT29_PAGE;
    uint16_t pos = 0;
    while (pos < n) {
        uint32_t start = addr + pos;
        uint16_t len = (uint16_t)(page - start % page);
        if (len > n - pos) {
            len = n - pos;
        }
        const uint8_t *chunk = data + pos;
        hal_read_block(start, page_back, len);
        /* EEPROMs keep a page that already holds the data; AT29 sectors are rewritten whole
         * (a sector program erases first, the data sheet forbids partial loads). */
        if (!at29 && same(page_back, chunk, len)) {
            pos += len;
            continue;
        }
        uint8_t attempts = 0;
        uint8_t done = 0;
        for (;;) {
            uint8_t last;
            attempts++;
            if (p->sdp) {
                unlock();
                hal_write(UNLOCK1_ADDR, CMD_PROGRAM);
            }
            for (uint16_t i = 0; i < len; i++) {
                hal_write(start + i, chunk[i]);
            }
            /* The internal write starts once tBLC passes without another byte; a poll before
             * that reads the old contents of a page that is still loading. */
            hal_delay_us((uint32_t)p->tblc_us + MIN_POLL_US);
            done = poll(start + len - 1, chunk[len - 1], max_us, 0, &last);
            hal_read_block(start, page_back, len);
            if (done && same(page_back, chunk, len)) {
                break;
            }
            if (attempts >= attempts_max) {
                uint16_t bad = len - 1;
                for (uint16_t i = 0; i < len; i++) {
                    if (page_back[i] != chunk[i]) {
                        bad = i;
                        break;
                    }
                }
                r->status = done ? RP_PROGRAM_FAIL : RP_TIMEOUT;
                r->address = start + bad;
                r->wanted = chunk[bad];
                r->read = page_back[bad];
                r->pulses = attempts;
                if (attempts > r->max_pulses) {
                    r->max_pulses = attempts;
                }
                return;
            }
        }
        if (attempts > r->max_pulses) {
            r->max_pulses = attempts;
        }
        if (attempts > 1) {
            r->retried++;
        }
        pos += len;
        rp_unit_progress(pos);
    }
}

void rp_program_unit(const struct rp_profile *p, uint32_t addr, const uint8_t *data, uint16_t n,
                     struct rp_unit_result *r)
{
    r->status = RP_OK;
    r->address = 0;
    r->wanted = r->read = r->pulses = r->max_pulses = 0;
    r->retried = 0;
    r->measured_mv = 0;
    switch (p->algorithm) {
    case RP_ALG_EPROM_QUICKPULSE:
    case RP_ALG_EPROM_STANDARD:
        if (!prog_levels) {
            if (rp_power_program(p, &r->measured_mv) != RP_OK) {
                r->status = RP_VPP_FAULT;
                r->address = addr;
                return;
            }
        }
        eprom_unit(p, addr, data, n, r);
        break;
    case RP_ALG_JEDEC_BYTE:
        jedec_unit(p, addr, data, n, r);
        break;
    case RP_ALG_EEPROM_BYTE:
        page_unit(p, addr, data, n, 1, r);
        break;
    default:
        page_unit(p, addr, data, n, p->page ? p->page : 1, r);
        break;
    }
}

/*
 * Toggle-bit polling for erases: DQ6 flips on every read while the part is busy and stops
 * when it is done (flashrom polls erases this way, with an 8 ms pause between reads).
 * Then the erased byte must read 0xFF.
 */
static uint8_t erase_poll(const struct rp_profile *p, uint32_t addr)
{
    uint32_t max_us = (p->erase_ms ? p->erase_ms : DEFAULT_ERASE_MS) * 1000ul;
    uint32_t waited = 0;
    for (;;) {
        uint8_t a = hal_read(addr);
        uint8_t b = hal_read(addr);
        if (!((a ^ b) & DQ6)) {
            return hal_read(addr) == 0xFF ? RP_OK : RP_ERASE_FAIL;
        }
        if (waited >= max_us) {
            return RP_TIMEOUT;
        }
        hal_delay_us(ERASE_POLL_US);
        waited += ERASE_POLL_US;
        hal_kick();
        rp_busy_tick();
    }
}

uint8_t rp_erase_chip(const struct rp_profile *p)
{
    unlock();
    hal_write(UNLOCK1_ADDR, CMD_ERASE_SETUP);
    unlock();
    hal_write(UNLOCK1_ADDR, CMD_CHIP_ERASE);
    return erase_poll(p, 0);
}

uint8_t rp_erase_sector(const struct rp_profile *p, uint32_t addr)
{
    unlock();
    hal_write(UNLOCK1_ADDR, CMD_ERASE_SETUP);
    unlock();
    hal_write(addr, CMD_SECTOR_ERASE);
    return erase_poll(p, addr);
}

void rp_software_id(uint8_t *mfr, uint8_t *dev)
{
    unlock();
    hal_write(UNLOCK1_ADDR, CMD_ID_ENTRY);
    hal_delay_us(ID_ENTRY_US);
    *mfr = hal_read(0);
    *dev = hal_read(1);
    /* The three-cycle exit: AT29 parts ignore the single F0 cycle (flashrom's jedec.c). */
    unlock();
    hal_write(UNLOCK1_ADDR, CMD_ID_EXIT);
    hal_delay_us(ID_ENTRY_US);
}

void rp_signature_id(const struct rp_profile *p, uint8_t *mfr, uint8_t *dev)
{
    vpp_set(0);
    hal_vcc(p->vcc_verify_mv);
    /* A0 selects the code: 0 manufacturer, 1 device (programmers.md section 5.1). */
    *mfr = hal_read_signature(0);
    *dev = hal_read_signature(1);
}
