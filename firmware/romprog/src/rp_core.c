/*
 * The device side of firmware/PROTOCOL.md.
 *
 * Receive: bytes are collected until a 0x00 delimiter, COBS-decoded in place and checked
 * (length, CRC-32, version); a broken frame is dropped without an answer (section 2).
 * Requests are idempotent by seq: the last response is kept encoded and sent again for a
 * repeated request (section 5). DATA frames of a write are programmed and verified one at a
 * time straight from the receive buffer; the frames behind them wait in the UART ring (the
 * window). Every path that ends a write takes VPP off.
 */
#include "rp_core.h"

#include "rp_chip.h"
#include "rp_cobs.h"
#include "rp_config.h"
#include "rp_crc.h"
#include "rp_hal.h"
#include "rp_proto.h"

/* ---- little-endian helpers ---------------------------------------------------------- */

static uint16_t get16(const uint8_t *b)
{
    return (uint16_t)(b[0] | ((uint16_t)b[1] << 8));
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

static uint8_t *put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    return b + 2;
}

static uint8_t *put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
    return b + 4;
}

/* ---- state --------------------------------------------------------------------------- */

struct frame {
    uint8_t type;
    uint16_t seq;
    uint8_t cmd;
    uint16_t len;
    uint8_t *payload;
};

struct write_stream {
    uint8_t active;
    uint16_t seq;
    uint32_t addr;
    uint32_t len;
    uint32_t crc;
    uint32_t received; /* == committed: each frame is verified before its ACK */
    uint32_t running_crc;
    uint8_t max_pulses;
    uint32_t retried;
    uint32_t nak_at;
};

struct read_stream {
    uint8_t active;
    uint16_t seq;
    uint32_t addr;
    uint32_t len;
    uint32_t acked;
    uint32_t sent;
    uint32_t crc_done;
    uint32_t crc;
    uint16_t chunk; /* data bytes per DATA frame */
};

struct ended {
    uint8_t valid;
    uint16_t seq;
    uint8_t status;
    uint8_t len;
    uint8_t payload[8];
};

static uint8_t rx[RP_ENC_MAX];
static uint16_t rx_len;
static uint8_t rx_overflow;

static uint8_t tx_raw[RP_RAW_MAX];
static uint8_t *const tx_payload = tx_raw + RP_HEADER_SIZE;
static uint8_t tx_enc[RP_ENC_MAX + 1];
static uint8_t rsp_cache[RP_ENC_MAX + 1];
static uint16_t rsp_cache_len;
static uint16_t rsp_cache_seq;
static uint8_t rsp_cache_cmd;

static uint8_t scratch[RP_SCRATCH];

static struct rp_profile profile;
static uint8_t have_profile;
static uint8_t powered;
static struct write_stream ws;
static struct read_stream rs;
static struct ended ended[RP_ENDED_STREAMS];
static uint8_t ended_next;

static uint8_t board_id;
static uint16_t watchdog_ms;
static uint32_t clock_khz;
static uint32_t last_activity_ms;
static uint16_t watchdog_trips;
static uint8_t baud_probation;
static uint32_t baud_changed_ms;

/* ---- output -------------------------------------------------------------------------- */

/* Frame tx_payload[0..len) and encode it into out; returns the bytes to send. */
static uint16_t build(uint8_t type, uint16_t seq, uint8_t cmd, uint8_t status, uint16_t len,
                      uint8_t *out)
{
    tx_raw[0] = RP_PROTO_VERSION;
    tx_raw[1] = type;
    put16(tx_raw + 2, seq);
    tx_raw[4] = cmd;
    tx_raw[5] = status;
    put16(tx_raw + 6, len);
    uint16_t n = RP_HEADER_SIZE + len;
    put32(tx_raw + n, rp_crc32(0, tx_raw, n));
    n += RP_CRC_SIZE;
    uint16_t enc = rp_cobs_encode(tx_raw, n, out);
    out[enc++] = 0;
    return enc;
}

static void send(uint8_t type, uint16_t seq, uint8_t cmd, uint8_t status, uint16_t len)
{
    uint16_t n = build(type, seq, cmd, status, len, tx_enc);
    hal_uart_send(tx_enc, n);
}

/* The one final answer to a request; kept for a repeated request with the same seq. */
static void respond(const struct frame *req, uint8_t status, uint16_t len)
{
    rsp_cache_len = build(RP_RSP, req->seq, req->cmd, status, len, rsp_cache);
    rsp_cache_seq = req->seq;
    rsp_cache_cmd = req->cmd;
    hal_uart_send(rsp_cache, rsp_cache_len);
}

static void respond_status(const struct frame *req, uint8_t status)
{
    respond(req, status, 0);
}

static void event(uint8_t kind, uint8_t arg)
{
    tx_payload[0] = kind;
    tx_payload[1] = arg;
    send(RP_EVT, 0, 0, 0, 2);
}

/* ---- power --------------------------------------------------------------------------- */

static void socket_on(void)
{
    if (!powered) {
        hal_socket_setup(&profile);
        hal_vcc(profile.vcc_verify_mv);
        powered = 1;
    }
}

static void socket_off(void)
{
    hal_vpp(0);
    rp_vpp_forget();
    hal_vcc(0);
    powered = 0;
}

/* ---- write stream endings ------------------------------------------------------------ */

/* End the write early: answer it, keep the answer for its late DATA frames, VPP off. */
static void end_write(uint8_t status, uint8_t len)
{
    struct ended *e = &ended[ended_next];
    ended_next = (uint8_t)((ended_next + 1) % RP_ENDED_STREAMS);
    e->valid = 1;
    e->seq = ws.seq;
    e->status = status;
    e->len = len;
    for (uint8_t i = 0; i < len; i++) {
        e->payload[i] = tx_payload[i];
    }
    send(RP_RSP, ws.seq, RP_CMD_WRITE_END, status, len);
    ws.active = 0;
    if (have_profile) {
        rp_power_read(&profile);
    }
}

static const struct ended *find_ended(uint16_t seq)
{
    for (uint8_t i = 0; i < RP_ENDED_STREAMS; i++) {
        if (ended[i].valid && ended[i].seq == seq) {
            return &ended[i];
        }
    }
    return 0;
}

static void trip_watchdog(void)
{
    uint8_t was_on = rp_vpp_is_on();
    watchdog_trips++;
    if (ws.active) {
        put32(tx_payload, ws.received);
        end_write(RP_WATCHDOG, 4);
    }
    rs.active = 0;
    socket_off();
    event(RP_EVT_WATCHDOG, was_on);
}

static void check_watchdog(void)
{
    if (!(powered || ws.active)) {
        return;
    }
    if ((uint32_t)(hal_millis() - last_activity_ms) > watchdog_ms) {
        trip_watchdog();
    }
}

static void check_overcurrent(void)
{
    uint8_t rail = hal_overcurrent();
    if (!rail) {
        return;
    }
    if (ws.active) {
        tx_payload[0] = rail;
        end_write(RP_OVERCURRENT, 1);
    }
    rs.active = 0;
    socket_off();
    event(RP_EVT_OVERCURRENT, rail);
}

/* ---- argument checks ----------------------------------------------------------------- */

static uint8_t need_profile(const struct frame *req)
{
    if (!have_profile) {
        respond_status(req, RP_NO_PROFILE);
        return 0;
    }
    socket_on();
    return 1;
}

static uint8_t need_len(const struct frame *req, uint16_t len)
{
    if (req->len != len) {
        respond_status(req, RP_BAD_ARG);
        return 0;
    }
    return 1;
}

static uint8_t in_range(const struct frame *req, uint32_t addr, uint32_t len)
{
    if (len == 0 || addr >= profile.size || len > profile.size - addr) {
        respond_status(req, RP_BAD_RANGE);
        return 0;
    }
    return 1;
}

static void set_progress_stride(const struct rp_profile *p);

/* ---- session commands ---------------------------------------------------------------- */

static void end_streams(void)
{
    ws.active = 0;
    rs.active = 0;
}

static void cmd_hello(const struct frame *req)
{
    if (req->len < 5 || get32(req->payload) != RP_MAGIC) {
        respond_status(req, RP_BAD_ARG);
        return;
    }
    end_streams();
    socket_off();
    uint8_t *b = put32(tx_payload, RP_MAGIC);
    *b++ = RP_PROTO_VERSION;
    *b++ = RP_FW_MAJOR;
    *b++ = RP_FW_MINOR;
    *b++ = board_id;
    b = put32(b, RP_CAP_VPP | RP_CAP_A9_ID | RP_CAP_SOFTWARE_ID | RP_CAP_ERASE |
                     RP_CAP_DEVICE_CRC | RP_CAP_BLANK_CHECK | RP_CAP_CAN_PROGRAM |
                     RP_CAP_SET_BAUD | RP_CAP_PAGE_WRITE | hal_extra_caps());
    b = put16(b, RP_MAX_PAYLOAD);
    b = put16(b, RP_WINDOW);
    *b++ = RP_ADDRESS_BITS;
    uint8_t algs = 0;
    for (uint8_t a = RP_ALG_EPROM_QUICKPULSE; a <= RP_ALG_LAST; a++) {
        algs |= (uint8_t)(1u << a);
    }
    *b++ = algs;
    b = put16(b, RP_VPP_MIN_MV);
    b = put16(b, RP_VPP_MAX_MV);
    b = put16(b, RP_VCC_MIN_MV);
    b = put16(b, RP_VCC_MAX_MV);
    b = put16(b, watchdog_ms);
    put32(b, clock_khz);
    respond(req, RP_OK, RP_LIMITS_SIZE);
}

static void cmd_set_baud(const struct frame *req)
{
    if (!need_len(req, 4)) {
        return;
    }
    uint32_t baud = get32(req->payload);
    if (baud < RP_MIN_BAUD || baud > RP_MAX_BAUD || !hal_uart_baud_ok(baud)) {
        respond_status(req, RP_BAD_ARG);
        return;
    }
    put32(tx_payload, baud);
    respond(req, RP_OK, 4);
    hal_uart_drain(); /* the answer leaves at the old rate (section 6.2) */
    hal_uart_set_baud(baud);
    baud_probation = baud != RP_START_BAUD;
    baud_changed_ms = hal_millis();
}

static void cmd_ping(const struct frame *req)
{
    tx_payload[0] = rp_vpp_is_on();
    put16(tx_payload + 1, watchdog_trips);
    respond(req, RP_OK, 3);
}

static void cmd_bye(const struct frame *req)
{
    end_streams();
    socket_off();
    respond_status(req, RP_OK);
}

static void cmd_abort(const struct frame *req)
{
    uint32_t committed = ws.active ? ws.received : 0;
    end_streams();
    socket_off();
    put32(tx_payload, committed);
    respond(req, RP_OK, 4);
}

static void cmd_set_profile(const struct frame *req)
{
    if (!need_len(req, RP_PROFILE_SIZE)) {
        return;
    }
    const uint8_t *b = req->payload;
    struct rp_profile p;
    p.size = get32(b);
    p.algorithm = b[4];
    p.pins = b[5];
    p.page = get16(b + 6);
    p.sector = get32(b + 8);
    p.pulse_us = get16(b + 12);
    p.max_pulses = b[14];
    p.overprogram = b[15];
    p.write_us = get32(b + 16);
    p.tblc_us = get16(b + 20);
    p.erase_ms = get32(b + 22);
    p.vpp_mv = get16(b + 26);
    p.vcc_prog_mv = get16(b + 28);
    p.vcc_verify_mv = get16(b + 30);
    p.id_method = b[32];
    p.sdp = b[33];
    p.flags = b[34];
    uint8_t page_alg = p.algorithm == RP_ALG_EEPROM_PAGE || p.algorithm == RP_ALG_AT29_PAGE;
    uint8_t status = RP_OK;
    if (p.algorithm < RP_ALG_EPROM_QUICKPULSE || p.algorithm > RP_ALG_LAST ||
        p.id_method > RP_ID_A9) {
        status = RP_BAD_ARG;
    } else if (p.size == 0 || p.size > (1ul << RP_ADDRESS_BITS) ||
               (p.pins != 28 && p.pins != 32)) {
        status = RP_BAD_PROFILE;
    } else if (p.vpp_mv && (p.vpp_mv < RP_VPP_MIN_MV || p.vpp_mv > RP_VPP_MAX_MV)) {
        status = RP_BAD_PROFILE;
    } else if (p.vcc_prog_mv < RP_VCC_MIN_MV || p.vcc_prog_mv > RP_VCC_MAX_MV ||
               p.vcc_verify_mv < RP_VCC_MIN_MV || p.vcc_verify_mv > RP_VCC_MAX_MV) {
        status = RP_BAD_PROFILE;
    } else if (page_alg && (p.page < 1 || p.page > RP_CHIP_MAX_PAGE)) {
        status = RP_BAD_PROFILE;
    } else if (rp_is_eprom(&p) && (!p.vpp_mv || !p.max_pulses || !p.pulse_us)) {
        status = RP_BAD_PROFILE; /* an EPROM profile without VPP or pulses cannot program */
    } else if (!hal_socket_supports(&p)) {
        status = RP_UNSUPPORTED; /* no socket wiring for this package and part family */
    }
    if (status != RP_OK) {
        respond_status(req, status);
        return;
    }
    end_streams();
    socket_off();
    profile = p;
    have_profile = 1;
    set_progress_stride(&p);
    socket_on();
    respond_status(req, RP_OK);
}

static void cmd_identify(const struct frame *req)
{
    if (!need_profile(req)) {
        return;
    }
    uint8_t mfr, dev;
    if (profile.id_method == RP_ID_SOFTWARE) {
        rp_software_id(&mfr, &dev);
    } else if (profile.id_method == RP_ID_A9) {
        rp_signature_id(&profile, &mfr, &dev);
    } else {
        respond_status(req, RP_UNSUPPORTED);
        return;
    }
    tx_payload[0] = mfr;
    tx_payload[1] = dev;
    tx_payload[2] = profile.id_method;
    respond(req, RP_OK, 3);
}

/* ---- digests ------------------------------------------------------------------------- */

#define PROGRESS_EVT_SIZE 10u /* kind u8, op u8, done u32, total u32 */

/* Progress while a long read-only run goes on (at most every RP_PROGRESS_MS). */
struct progress {
    const struct frame *req;
    uint32_t total;
    uint32_t last_ms;
    uint8_t quiet; /* the answer being built would be overwritten by an event */
};

static void progress_tick(struct progress *pr, uint32_t done)
{
    hal_kick();
    if (pr->quiet || done >= pr->total ||
        (uint32_t)(hal_millis() - pr->last_ms) < RP_PROGRESS_MS) {
        return;
    }
    pr->last_ms = hal_millis();
    /* EVT payloads are built behind the response area: the response is built afterwards. */
    tx_payload[0] = RP_EVT_PROGRESS;
    tx_payload[1] = pr->req->cmd;
    put32(tx_payload + 2, done);
    put32(tx_payload + 6, pr->total);
    send(RP_EVT, pr->req->seq, pr->req->cmd, 0, PROGRESS_EVT_SIZE);
}

static void cmd_crc(const struct frame *req)
{
    if (!need_profile(req) || !need_len(req, 8)) {
        return;
    }
    uint32_t addr = get32(req->payload);
    uint32_t len = get32(req->payload + 4);
    if (!in_range(req, addr, len)) {
        return;
    }
    struct progress pr = {req, len, hal_millis(), 0};
    uint32_t crc = 0;
    for (uint32_t pos = 0; pos < len;) {
        uint16_t n = (uint16_t)(len - pos > RP_SCRATCH ? RP_SCRATCH : len - pos);
        hal_read_block(addr + pos, scratch, n);
        crc = rp_crc32(crc, scratch, n);
        pos += n;
        progress_tick(&pr, pos);
    }
    put32(tx_payload, crc);
    respond(req, RP_OK, 4);
}

static void cmd_blank_check(const struct frame *req)
{
    if (!need_profile(req) || !need_len(req, 9)) {
        return;
    }
    uint32_t addr = get32(req->payload);
    uint32_t len = get32(req->payload + 4);
    uint8_t value = req->payload[8];
    if (!in_range(req, addr, len)) {
        return;
    }
    struct progress pr = {req, len, hal_millis(), 0};
    uint32_t bad = 0;
    uint32_t first = RP_NO_ADDRESS;
    for (uint32_t pos = 0; pos < len;) {
        uint16_t n = (uint16_t)(len - pos > RP_SCRATCH ? RP_SCRATCH : len - pos);
        hal_read_block(addr + pos, scratch, n);
        for (uint16_t i = 0; i < n; i++) {
            if (scratch[i] != value) {
                if (!bad) {
                    first = addr + pos + i;
                }
                bad++;
            }
        }
        pos += n;
        progress_tick(&pr, pos);
    }
    put32(tx_payload, bad);
    put32(tx_payload + 4, first);
    respond(req, RP_OK, 8);
}

#define BLOCK_INFO_ITEM 5u /* crc32 u32, flags u8 */
#define BLOCK_ALL_FF 0x01u

static void cmd_block_info(const struct frame *req)
{
    if (!need_profile(req) || !need_len(req, 10)) {
        return;
    }
    uint32_t addr = get32(req->payload);
    uint32_t len = get32(req->payload + 4);
    uint16_t block = get16(req->payload + 8);
    if (!in_range(req, addr, len)) {
        return;
    }
    if (block == 0 || (len + block - 1) / block * BLOCK_INFO_ITEM > RP_MAX_PAYLOAD) {
        respond_status(req, RP_BAD_ARG);
        return;
    }
    /* Items are collected at the end of the payload area so progress events (built at its
     * start) cannot overwrite them; they move to the front before the answer. */
    uint16_t count = (uint16_t)((len + block - 1) / block);
    uint8_t *items = tx_payload + RP_MAX_PAYLOAD - count * BLOCK_INFO_ITEM;
    struct progress pr = {req, len, hal_millis(), items < tx_payload + PROGRESS_EVT_SIZE};
    uint32_t pos = 0;
    for (uint16_t k = 0; k < count; k++) {
        uint32_t end = pos + block < len ? pos + block : len;
        uint32_t crc = 0;
        uint8_t all_ff = 1;
        while (pos < end) {
            uint16_t n = (uint16_t)(end - pos > RP_SCRATCH ? RP_SCRATCH : end - pos);
            hal_read_block(addr + pos, scratch, n);
            crc = rp_crc32(crc, scratch, n);
            for (uint16_t i = 0; i < n; i++) {
                all_ff &= scratch[i] == 0xFF;
            }
            pos += n;
            progress_tick(&pr, pos);
        }
        put32(items + k * BLOCK_INFO_ITEM, crc);
        items[k * BLOCK_INFO_ITEM + 4] = all_ff ? BLOCK_ALL_FF : 0;
    }
    uint16_t size = count * BLOCK_INFO_ITEM;
    for (uint16_t i = 0; i < size; i++) {
        tx_payload[i] = items[i];
    }
    respond(req, RP_OK, size);
}

static void cmd_can_program(const struct frame *req)
{
    if (!need_profile(req)) {
        return;
    }
    if (req->len <= 4) {
        respond_status(req, RP_BAD_ARG);
        return;
    }
    uint32_t addr = get32(req->payload);
    const uint8_t *want = req->payload + 4;
    uint16_t len = req->len - 4;
    if (!in_range(req, addr, len)) {
        return;
    }
    uint32_t count = 0;
    uint32_t first = RP_NO_ADDRESS;
    for (uint16_t pos = 0; pos < len;) {
        uint16_t left = (uint16_t)(len - pos);
        uint16_t n = left > RP_SCRATCH ? (uint16_t)RP_SCRATCH : left;
        hal_read_block(addr + pos, scratch, n);
        for (uint16_t i = 0; i < n; i++) {
            uint8_t w = want[pos + i];
            if ((scratch[i] & w) != w) {
                if (!count) {
                    first = addr + pos + i;
                }
                count++;
            }
        }
        pos += n;
    }
    put32(tx_payload, count);
    put32(tx_payload + 4, first);
    respond(req, RP_OK, 8);
}

/* ---- erase --------------------------------------------------------------------------- */

/* The request a long erase runs for, so its progress events carry its seq and cmd. */
static const struct frame *busy_req;
static uint32_t busy_tick_ms;

void rp_busy_tick(void)
{
    if (!busy_req) {
        return;
    }
    uint32_t now = hal_millis();
    if ((uint32_t)(now - busy_tick_ms) < RP_PROGRESS_MS) {
        return;
    }
    busy_tick_ms = now;
    tx_payload[0] = RP_EVT_PROGRESS;
    tx_payload[1] = busy_req->cmd;
    put32(tx_payload + 2, 0); /* an erase has no byte count: done and total are 0 */
    put32(tx_payload + 6, 0);
    send(RP_EVT, busy_req->seq, busy_req->cmd, 0, PROGRESS_EVT_SIZE);
}

/* 28C EEPROMs have no erase command: write 0xFF over every page that is not blank. */
static uint8_t erase_by_writing(uint32_t *fail_at)
{
    uint16_t page = profile.page ? profile.page : 1;
    struct rp_unit_result r;
    for (uint16_t i = 0; i < page; i++) {
        scratch[i] = 0xFF; /* RP_SCRATCH >= RP_CHIP_MAX_PAGE >= page */
    }
    for (uint32_t pos = 0; pos < profile.size; pos += page) {
        rp_program_unit(&profile, pos, scratch, page, &r);
        if (r.status != RP_OK) {
            *fail_at = r.address;
            return RP_ERASE_FAIL;
        }
        rp_busy_tick();
    }
    return RP_OK;
}

static void cmd_erase(const struct frame *req)
{
    if (!need_profile(req) || !need_len(req, 5)) {
        return;
    }
    uint8_t mode = req->payload[0];
    uint32_t addr = get32(req->payload + 1);
    if (!(profile.flags & RP_FLAG_ELECTRIC_ERASE)) {
        respond_status(req, RP_UNSUPPORTED);
        return;
    }
    uint8_t jedec = profile.algorithm == RP_ALG_JEDEC_BYTE || profile.algorithm == RP_ALG_AT29_PAGE;
    uint8_t status;
    uint32_t fail_at = addr;
    busy_req = req;
    busy_tick_ms = hal_millis();
    if (mode == RP_ERASE_SECTOR) {
        if (!profile.sector || !jedec || addr >= profile.size) {
            busy_req = 0;
            respond_status(req, RP_BAD_RANGE);
            return;
        }
        fail_at = addr - addr % profile.sector;
        status = rp_erase_sector(&profile, fail_at);
    } else if (mode == RP_ERASE_CHIP) {
        status = jedec ? rp_erase_chip(&profile) : erase_by_writing(&fail_at);
    } else {
        busy_req = 0;
        respond_status(req, RP_BAD_ARG);
        return;
    }
    busy_req = 0;
    if (status == RP_OK) {
        respond_status(req, RP_OK);
        return;
    }
    put32(tx_payload, fail_at);
    respond(req, status, 4);
}

/* A simulated board's UV lamp (host build): the chip model is erased out of band. */
static void cmd_sim_uv(const struct frame *req)
{
    if (!(hal_extra_caps() & RP_CAP_SIM_UV)) {
        respond_status(req, RP_UNKNOWN_CMD);
        return;
    }
    if (!need_len(req, 2)) {
        return;
    }
    respond_status(req, hal_uv_erase(get16(req->payload)) ? RP_OK : RP_UNSUPPORTED);
}

/* ---- reads --------------------------------------------------------------------------- */

static void pump_read(void)
{
    while (rs.sent < rs.len && rs.sent - rs.acked < RP_WINDOW) {
        uint32_t left = rs.len - rs.sent;
        uint16_t n = (uint16_t)(left > rs.chunk ? rs.chunk : left);
        uint8_t *data = tx_payload + RP_DATA_HEADER;
        hal_read_block(rs.addr + rs.sent, data, n);
        if (rs.sent == rs.crc_done) {
            rs.crc = rp_crc32(rs.crc, data, n);
            rs.crc_done += n;
        }
        put32(tx_payload, rs.sent);
        send(RP_DATA, rs.seq, RP_CMD_READ, 0, (uint16_t)(RP_DATA_HEADER + n));
        rs.sent += n;
        hal_kick();
    }
}

static void finish_read(void)
{
    put32(tx_payload, rs.crc);
    send(RP_RSP, rs.seq, RP_CMD_READ, RP_OK, 4);
}

static void cmd_read(const struct frame *req)
{
    if (!need_profile(req)) {
        return;
    }
    if (req->len != 8 && req->len != 10) {
        respond_status(req, RP_BAD_ARG);
        return;
    }
    uint32_t addr = get32(req->payload);
    uint32_t len = get32(req->payload + 4);
    /* Optional chunk: a host on a noisy link asks for smaller DATA frames (section 6.3). */
    uint16_t chunk = req->len == 10 ? get16(req->payload + 8) : 0;
    if (!in_range(req, addr, len)) {
        return;
    }
    rs.chunk = chunk && chunk < RP_DATA_PER_FRAME ? chunk : RP_DATA_PER_FRAME;
    ws.active = 0;
    rs.active = 1;
    rs.seq = req->seq;
    rs.addr = addr;
    rs.len = len;
    rs.acked = rs.sent = rs.crc_done = rs.crc = 0;
    /* A READ answers with a stream, not a cached response: a repeated READ restarts it. */
    rsp_cache_len = 0;
    pump_read();
}

static void on_read_ack(const struct frame *f, uint8_t nak)
{
    if (!rs.active || f->seq != rs.seq || f->len != 4) {
        return;
    }
    uint32_t mark = get32(f->payload);
    if (mark > rs.len) {
        mark = rs.len;
    }
    if (mark > rs.acked) {
        rs.acked = mark;
    }
    if (nak) {
        rs.sent = rs.acked; /* go back to where the host lost the stream */
    }
    if (rs.acked >= rs.len) {
        finish_read();
    } else {
        pump_read();
    }
}

/* ---- writes -------------------------------------------------------------------------- */

static void cmd_write_begin(const struct frame *req)
{
    if (!need_profile(req) || !need_len(req, 12)) {
        return;
    }
    uint32_t addr = get32(req->payload);
    uint32_t len = get32(req->payload + 4);
    if (!in_range(req, addr, len)) {
        return;
    }
    if (profile.algorithm == RP_ALG_AT29_PAGE && (addr % profile.page || len % profile.page)) {
        respond_status(req, RP_BAD_RANGE); /* AT29 sectors are only ever written whole */
        return;
    }
    rs.active = 0;
    ws.active = 0;
    if (rp_is_eprom(&profile)) {
        uint16_t mv;
        if (rp_power_program(&profile, &mv) != RP_OK) {
            put16(tx_payload, mv);
            respond(req, RP_VPP_FAULT, 2);
            return;
        }
    }
    ws.active = 1;
    ws.seq = req->seq;
    ws.addr = addr;
    ws.len = len;
    ws.crc = get32(req->payload + 8);
    ws.received = ws.running_crc = ws.retried = 0;
    ws.max_pulses = 0;
    ws.nak_at = RP_NO_ADDRESS;
    put16(tx_payload, RP_WINDOW);
    respond(req, RP_OK, 2);
}

/* The clock is looked at every `stride` bytes of a unit: often enough that a check falls
 * at least every RP_PROGRESS_MS / 4 (a 50 ms NMOS pulse: every byte), rarely enough that fast
 * parts do not pay a clock read per byte. */
#define UNIT_PROGRESS_MAX_STRIDE 32u
static uint32_t unit_progress_ms;
static uint16_t unit_progress_stride = UNIT_PROGRESS_MAX_STRIDE;

static void set_progress_stride(const struct rp_profile *p)
{
    uint32_t byte_us = rp_is_eprom(p) ? (uint32_t)p->pulse_us * (1u + p->overprogram)
                                      : p->write_us;
    uint32_t budget_us = RP_PROGRESS_MS * 1000ul / 4u;
    uint32_t stride = byte_us ? budget_us / byte_us : UNIT_PROGRESS_MAX_STRIDE;
    if (stride < 1) {
        stride = 1;
    }
    unit_progress_stride =
        (uint16_t)(stride > UNIT_PROGRESS_MAX_STRIDE ? UNIT_PROGRESS_MAX_STRIDE : stride);
}

void rp_unit_progress(uint16_t done)
{
    hal_kick();
    if (!ws.active || (done % unit_progress_stride && done != 1)) {
        return;
    }
    uint32_t now = hal_millis();
    if ((uint32_t)(now - unit_progress_ms) < RP_PROGRESS_MS) {
        return;
    }
    unit_progress_ms = now;
    /* A slow unit (28C byte writes: 0.5 s per frame) would look like a dead link to a host
     * waiting for the next ACK; the event shows it is alive. The DATA payload being
     * programmed lives in the receive buffer, so the transmit buffer is free. */
    tx_payload[0] = RP_EVT_PROGRESS;
    tx_payload[1] = RP_CMD_WRITE_BEGIN;
    put32(tx_payload + 2, ws.received + done);
    put32(tx_payload + 6, ws.len);
    send(RP_EVT, ws.seq, RP_CMD_WRITE_BEGIN, 0, PROGRESS_EVT_SIZE);
}

static void send_ack(void)
{
    put32(tx_payload, ws.received);
    put32(tx_payload + 4, ws.received);
    send(RP_ACK, ws.seq, RP_CMD_WRITE_BEGIN, 0, 8);
}

static void on_data(const struct frame *f)
{
    if (!ws.active || f->seq != ws.seq) {
        const struct ended *e = find_ended(f->seq);
        if (e) {
            for (uint8_t i = 0; i < e->len; i++) {
                tx_payload[i] = e->payload[i];
            }
            send(RP_RSP, e->seq, RP_CMD_WRITE_END, e->status, e->len);
        } else if (!rs.active) {
            send(RP_RSP, f->seq, RP_CMD_WRITE_END, RP_NO_STREAM, 0);
        }
        return;
    }
    if (f->len <= RP_DATA_HEADER) {
        return;
    }
    uint32_t offset = get32(f->payload);
    const uint8_t *data = f->payload + RP_DATA_HEADER;
    uint16_t n = f->len - RP_DATA_HEADER;
    if (offset < ws.received) {
        send_ack(); /* a duplicate: it was programmed already */
        return;
    }
    if (offset > ws.received) {
        /* Frames were lost: one NAK per gap, then drop until the expected offset comes. */
        if (ws.nak_at != ws.received) {
            ws.nak_at = ws.received;
            put32(tx_payload, ws.received);
            send(RP_NAK, ws.seq, RP_CMD_WRITE_BEGIN, 0, 4);
        }
        return;
    }
    if (n > ws.len - offset) {
        end_write(RP_BAD_ARG, 0);
        return;
    }
    struct rp_unit_result r;
    unit_progress_ms = hal_millis();
    rp_program_unit(&profile, ws.addr + offset, data, n, &r);
    if (r.max_pulses > ws.max_pulses) {
        ws.max_pulses = r.max_pulses;
    }
    ws.retried += r.retried;
    if (r.status == RP_VPP_FAULT) {
        put16(tx_payload, r.measured_mv);
        end_write(RP_VPP_FAULT, 2);
        return;
    }
    if (r.status != RP_OK) {
        uint8_t *b = put32(tx_payload, r.address);
        b[0] = r.wanted;
        b[1] = r.read;
        b[2] = r.pulses;
        end_write(r.status, 7);
        return;
    }
    ws.received += n;
    ws.running_crc = rp_crc32(ws.running_crc, data, n);
    send_ack();
}

static void cmd_write_end(const struct frame *req)
{
    if (!ws.active || ws.received != ws.len) {
        respond_status(req, RP_NO_STREAM);
        return;
    }
    rp_power_read(&profile);
    ws.active = 0;
    if (ws.running_crc != ws.crc) {
        put32(tx_payload, ws.running_crc);
        respond(req, RP_DATA_CRC, 4);
        return;
    }
    uint8_t *b = put32(tx_payload, ws.received);
    *b++ = ws.max_pulses;
    put32(b, ws.retried);
    respond(req, RP_OK, 9);
}

/* ---- dispatch ------------------------------------------------------------------------ */

static void dispatch_req(const struct frame *f)
{
    /* A repeat (same seq and command) gets the kept answer and does not run again
     * (PROTOCOL.md section 5). HELLO always runs: a new session numbers its requests from 1
     * again, and its HELLO must reset the board. READ restarts its stream. */
    if (rsp_cache_len && f->seq == rsp_cache_seq && f->cmd == rsp_cache_cmd &&
        f->cmd != RP_CMD_READ && f->cmd != RP_CMD_HELLO) {
        hal_uart_send(rsp_cache, rsp_cache_len);
        return;
    }
    switch (f->cmd) {
    case RP_CMD_HELLO: cmd_hello(f); break;
    case RP_CMD_SET_BAUD: cmd_set_baud(f); break;
    case RP_CMD_PING: cmd_ping(f); break;
    case RP_CMD_BYE: cmd_bye(f); break;
    case RP_CMD_ABORT: cmd_abort(f); break;
    case RP_CMD_SET_PROFILE: cmd_set_profile(f); break;
    case RP_CMD_IDENTIFY: cmd_identify(f); break;
    case RP_CMD_READ: cmd_read(f); break;
    case RP_CMD_CRC: cmd_crc(f); break;
    case RP_CMD_BLANK_CHECK: cmd_blank_check(f); break;
    case RP_CMD_BLOCK_INFO: cmd_block_info(f); break;
    case RP_CMD_CAN_PROGRAM: cmd_can_program(f); break;
    case RP_CMD_WRITE_BEGIN: cmd_write_begin(f); break;
    case RP_CMD_WRITE_END: cmd_write_end(f); break;
    case RP_CMD_ERASE: cmd_erase(f); break;
    case RP_CMD_SIM_UV_ERASE: cmd_sim_uv(f); break;
    default: respond_status(f, RP_UNKNOWN_CMD); break;
    }
}

/* Check and run one received frame (rx[0..rx_len) still COBS-encoded). */
static void frame_received(void)
{
    int32_t n = rp_cobs_decode(rx, rx_len);
    if (n < (int32_t)RP_MIN_FRAME) {
        return;
    }
    uint16_t body = (uint16_t)(n - RP_CRC_SIZE);
    if (rp_crc32(0, rx, body) != get32(rx + body)) {
        return;
    }
    struct frame f;
    f.type = rx[1];
    f.seq = get16(rx + 2);
    f.cmd = rx[4];
    f.len = get16(rx + 6);
    f.payload = rx + RP_HEADER_SIZE;
    if (rx[0] != RP_PROTO_VERSION || f.len != body - RP_HEADER_SIZE || f.len > RP_MAX_PAYLOAD ||
        f.type < RP_REQ || f.type > RP_LOG) {
        return;
    }
    /* Silence is judged at the moment the board looks at the next frame. */
    check_watchdog();
    baud_probation = 0;
    switch (f.type) {
    case RP_REQ: dispatch_req(&f); break;
    case RP_DATA: on_data(&f); break;
    case RP_ACK: on_read_ack(&f, 0); break;
    case RP_NAK: on_read_ack(&f, 1); break;
    default: break; /* RSP, EVT, LOG never come from a host */
    }
    last_activity_ms = hal_millis();
}

void rp_core_init(uint8_t board, uint16_t wd_ms, uint32_t khz)
{
    board_id = board;
    watchdog_ms = wd_ms;
    clock_khz = khz;
    have_profile = 0;
    end_streams();
    socket_off();
    last_activity_ms = hal_millis();
}

void rp_core_poll(void)
{
    uint8_t got = 0;
    int16_t c;
    while ((c = hal_uart_getc()) >= 0) {
        got = 1;
        if (c == 0) {
            if (rx_len && !rx_overflow) {
                frame_received();
            }
            rx_len = 0;
            rx_overflow = 0;
            break; /* one frame per pass: the watchdog and overcurrent checks run between */
        }
        if (rx_len >= sizeof rx) {
            rx_overflow = 1; /* longer than any valid frame: noise, drop to the delimiter */
        } else {
            rx[rx_len++] = (uint8_t)c;
        }
    }
    check_overcurrent();
    if (!got) {
        check_watchdog();
        if (baud_probation && (uint32_t)(hal_millis() - baud_changed_ms) > RP_BAUD_REVERT_MS) {
            baud_probation = 0;
            hal_uart_drain();
            hal_uart_set_baud(RP_START_BAUD);
        }
        hal_wait_input();
    }
    hal_kick();
}
