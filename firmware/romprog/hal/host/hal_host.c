/*
 * Host HAL: the firmware as a native process.
 *
 * UART: a pty. The process opens the master and prints "PTY <slave path>" on stdout; the
 * romtool driver opens the slave like any serial port (romprog:/dev/pts/N).
 *
 * Bus: every pin-level action (read cycle, write cycle, program pulse, delay, VCC, VPP, ADC)
 * is a message on a stream socket (--bus-fd) to romtool's bus server
 * (romtool/programmers/sim/busserver.py), which drives a datasheet chip model on its virtual
 * µs clock. Messages are one opcode byte and fixed little-endian arguments; only reads wait
 * for an answer, so writes and pulses stream without a round trip.
 *
 * Two time modes:
 *   real time (default): the watchdog and progress use the process's monotonic clock, the
 *     driver talks over the pty at its own pace;
 *   --lockstep: the bus server also owns the UART's time. Every byte taken from the pty is
 *     reported ('a') so the server can advance the clock to its modeled arrival, every frame
 *     sent is announced ('x') so it gets its departure time, and when the firmware has nothing
 *     to do it says so ('i') and waits. Modeled times then come out exactly, independent of
 *     the machine's speed (benchmarks, the simulator's link model).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "rp_config.h"
#include "rp_core.h"
#include "rp_hal.h"

/* HELLO board id of the host build: the firmware on simulated hardware. */
#define BOARD_HOST 0xEE
/* The AVR's clock, announced so the host build answers HELLO like the board. */
#define CLOCK_KHZ 16000ul
/* Modeled AVR cost per received byte in lockstep mode: COBS unstuffing and the nibble-table
 * CRC-32 (~30 cycles at 16 MHz). */
#define RX_CPU_NS 2000u
/* Modeled AVR cost per byte of a block read: address ports, OE strobe, store (~8 cycles). */
#define READ_CPU_NS 500u
/* Real-time mode: how long one idle pass waits for pty input. */
#define IDLE_POLL_MS 5
/* After the driver closed the pty (EIO on the master), wait before looking again. */
#define HANGUP_RETRY_MS 10

enum bus_op {
    OP_READ = 'r',      /* addr u32 -> u8 */
    OP_BLOCK = 'b',     /* addr u32, n u16, cpu_ns u16 -> n bytes */
    OP_WRITE = 'w',     /* addr u32, value u8 */
    OP_PULSE = 'p',     /* addr u32, value u8, width_us u32 */
    OP_DELAY = 'd',     /* ns u32 */
    OP_VCC = 'c',       /* mv u16 */
    OP_VPP = 'v',       /* mv u16, 0 = off */
    OP_MEASURE = 'm',   /* -> mv u16 */
    OP_SIGNATURE = 's', /* addr u32 -> u8 */
    OP_OVERCUR = 'o',   /* -> rail u8 */
    OP_SETUP = 'k',     /* pins u8, size u32, algorithm u8, flags u8 */
    OP_TIME = 't',      /* -> now_ns u64 (lockstep) */
    OP_TX = 'x',        /* n u16: the next n pty bytes leave now (lockstep) */
    OP_RX = 'a',        /* n u16, cpu_ns u16: n pty bytes were taken (lockstep) */
    OP_IDLE = 'i',      /* -> n u32: bytes the server put on the pty since (lockstep) */
    OP_BAUD = 'u',      /* baud u32 (lockstep) */
    OP_UV = 'U',        /* minutes u16 -> ok u8: the simulated UV lamp */
};

static int bus_fd = 3;
static int pty_fd = -1;
static int lockstep;
static unsigned watchdog_ms = RP_WATCHDOG_MS;

static uint8_t out_buf[4096];
static size_t out_len;
static uint16_t rx_taken; /* lockstep: bytes taken from the pty, not yet reported */
static uint32_t rx_expected; /* lockstep: bytes the server said are on their way */
static uint8_t in_buf[4096];
static size_t in_pos, in_len;

static void die(const char *what)
{
    fprintf(stderr, "romprog-host: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* ---- bus socket ------------------------------------------------------------------------ */

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("bus write");
        }
        p += k;
        n -= (size_t)k;
    }
}

static void bus_flush(void)
{
    if (out_len) {
        write_all(bus_fd, out_buf, out_len);
        out_len = 0;
    }
}

static void bus_put(const uint8_t *p, size_t n);

static void report_rx(void)
{
    if (rx_taken) {
        uint8_t m[5] = {OP_RX, (uint8_t)rx_taken, (uint8_t)(rx_taken >> 8), (uint8_t)RX_CPU_NS,
                        (uint8_t)(RX_CPU_NS >> 8)};
        rx_taken = 0;
        bus_put(m, sizeof m);
    }
}

static void bus_put(const uint8_t *p, size_t n)
{
    if (out_len + n > sizeof out_buf) {
        bus_flush();
    }
    memcpy(out_buf + out_len, p, n);
    out_len += n;
}

/* Queue a message; every message first reports pty bytes taken, to keep the order. */
static void bus_msg(const uint8_t *p, size_t n)
{
    report_rx();
    bus_put(p, n);
}

static void bus_read(uint8_t *p, size_t n)
{
    bus_flush();
    while (n) {
        ssize_t k = read(bus_fd, p, n);
        if (k == 0) {
            exit(0); /* the bus server went away: the test is over */
        }
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("bus read");
        }
        p += k;
        n -= (size_t)k;
    }
}

static uint8_t *le32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
    return b + 4;
}

static uint8_t *le16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    return b + 2;
}

/* ---- time ------------------------------------------------------------------------------ */

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t hal_millis(void)
{
    if (!lockstep) {
        return (uint32_t)(wall_ns() / 1000000ull);
    }
    uint8_t m = OP_TIME;
    uint8_t b[8];
    bus_msg(&m, 1);
    bus_read(b, 8);
    uint64_t ns = 0;
    for (int i = 7; i >= 0; i--) {
        ns = (ns << 8) | b[i];
    }
    return (uint32_t)(ns / 1000000ull);
}

void hal_kick(void)
{
    /* No hardware watchdog on the host: a hung loop is caught by the test's timeouts. */
}

/* ---- UART (pty) ------------------------------------------------------------------------ */

static void open_pty(void)
{
    pty_fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (pty_fd < 0 || grantpt(pty_fd) < 0 || unlockpt(pty_fd) < 0) {
        die("pty");
    }
    struct termios t;
    if (tcgetattr(pty_fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(pty_fd, TCSANOW, &t);
    }
    fcntl(pty_fd, F_SETFL, fcntl(pty_fd, F_GETFL) | O_NONBLOCK);
    printf("PTY %s\n", ptsname(pty_fd));
    fflush(stdout);
}

static void fill_input(int wait_ms)
{
    struct pollfd pfd = {pty_fd, POLLIN, 0};
    if (wait_ms && poll(&pfd, 1, wait_ms) <= 0) {
        return;
    }
    ssize_t k = read(pty_fd, in_buf, sizeof in_buf);
    if (k > 0) {
        in_pos = 0;
        in_len = (size_t)k;
    } else if (k < 0 && errno == EIO) {
        /* Nobody has the slave open (the driver closed or lost the port): wait for it. */
        poll(NULL, 0, HANGUP_RETRY_MS);
    }
}

int16_t hal_uart_getc(void)
{
    if (in_pos == in_len) {
        if (lockstep) {
            if (!rx_expected) {
                return -1;
            }
            while (in_pos == in_len) {
                fill_input(1000); /* the bytes are on their way through the tty layer */
            }
        } else {
            fill_input(0);
            if (in_pos == in_len) {
                return -1;
            }
        }
    }
    if (lockstep) {
        rx_expected--;
        rx_taken++;
    }
    return in_buf[in_pos++];
}

void hal_uart_send(const uint8_t *data, uint16_t n)
{
    if (lockstep) {
        uint8_t m[3] = {OP_TX};
        le16(m + 1, n);
        bus_msg(m, 3);
        bus_flush();
    }
    while (n) {
        ssize_t k = write(pty_fd, data, n);
        if (k < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                struct pollfd pfd = {pty_fd, POLLOUT, 0};
                poll(&pfd, 1, IDLE_POLL_MS);
                continue;
            }
            return; /* EIO: the driver is gone; a real UART would send into the void too */
        }
        data += k;
        n -= (uint16_t)k;
    }
}

void hal_uart_drain(void)
{
    if (!lockstep) {
        tcdrain(pty_fd);
    }
}

uint8_t hal_uart_baud_ok(uint32_t baud)
{
    (void)baud; /* a pty carries any rate */
    return 1;
}

void hal_uart_set_baud(uint32_t baud)
{
    if (lockstep) {
        uint8_t m[5] = {OP_BAUD};
        le32(m + 1, baud);
        bus_msg(m, 5);
        bus_flush();
    }
}

void hal_wait_input(void)
{
    if (!lockstep) {
        bus_flush();
        fill_input(IDLE_POLL_MS);
        return;
    }
    uint8_t m = OP_IDLE;
    uint8_t b[4];
    bus_msg(&m, 1);
    bus_read(b, 4);
    rx_expected += (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
                   ((uint32_t)b[3] << 24);
}

/* ---- bus ------------------------------------------------------------------------------- */

uint8_t hal_socket_supports(const struct rp_profile *p)
{
    (void)p; /* the chip model takes any profile the core accepted */
    return 1;
}

void hal_socket_setup(const struct rp_profile *p)
{
    uint8_t m[8] = {OP_SETUP, p->pins};
    le32(m + 2, p->size);
    m[6] = p->algorithm;
    m[7] = p->flags;
    bus_msg(m, sizeof m);
}

uint8_t hal_read(uint32_t addr)
{
    uint8_t m[5] = {OP_READ};
    uint8_t v;
    le32(m + 1, addr);
    bus_msg(m, 5);
    bus_read(&v, 1);
    return v;
}

void hal_read_block(uint32_t addr, uint8_t *buf, uint16_t n)
{
    uint8_t m[9] = {OP_BLOCK};
    le16(le16(le32(m + 1, addr), n), READ_CPU_NS);
    bus_msg(m, 9);
    bus_read(buf, n);
}

void hal_write(uint32_t addr, uint8_t value)
{
    uint8_t m[6] = {OP_WRITE};
    le32(m + 1, addr)[0] = value;
    bus_msg(m, 6);
}

void hal_pulse(uint32_t addr, uint8_t value, uint32_t width_us)
{
    uint8_t m[10] = {OP_PULSE};
    uint8_t *b = le32(m + 1, addr);
    *b++ = value;
    le32(b, width_us);
    bus_msg(m, 10);
}

void hal_delay_us(uint32_t us)
{
    uint8_t m[5] = {OP_DELAY};
    le32(m + 1, us * 1000u);
    bus_msg(m, 5);
}

uint8_t hal_read_signature(uint32_t addr)
{
    uint8_t m[5] = {OP_SIGNATURE};
    uint8_t v;
    le32(m + 1, addr);
    bus_msg(m, 5);
    bus_read(&v, 1);
    return v;
}

void hal_vcc(uint16_t mv)
{
    uint8_t m[3] = {OP_VCC};
    le16(m + 1, mv);
    bus_msg(m, 3);
}

void hal_vpp(uint16_t mv)
{
    uint8_t m[3] = {OP_VPP};
    le16(m + 1, mv);
    bus_msg(m, 3);
}

uint16_t hal_vpp_measure(void)
{
    uint8_t m = OP_MEASURE;
    uint8_t b[2];
    bus_msg(&m, 1);
    bus_read(b, 2);
    return (uint16_t)(b[0] | (b[1] << 8));
}

uint32_t hal_extra_caps(void)
{
    return RP_CAP_SIM_UV; /* the chip models have a UV lamp */
}

uint8_t hal_uv_erase(uint16_t minutes)
{
    uint8_t m[3] = {OP_UV};
    uint8_t ok;
    le16(m + 1, minutes);
    bus_msg(m, 3);
    bus_read(&ok, 1);
    return ok;
}

uint8_t hal_overcurrent(void)
{
    uint8_t m = OP_OVERCUR;
    uint8_t rail;
    bus_msg(&m, 1);
    bus_read(&rail, 1);
    return rail;
}

/* ---- entry ----------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: romprog-host [--bus-fd N] [--lockstep] [--watchdog-ms N]\n");
    exit(2);
}

void hal_init(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bus-fd") && i + 1 < argc) {
            bus_fd = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--lockstep")) {
            lockstep = 1;
        } else if (!strcmp(argv[i], "--watchdog-ms") && i + 1 < argc) {
            watchdog_ms = (unsigned)atoi(argv[++i]);
            if (watchdog_ms < 50 || watchdog_ms > 60000) {
                usage();
            }
        } else {
            usage();
        }
    }
    open_pty();
}

int main(int argc, char **argv)
{
    hal_init(argc, argv);
    rp_core_init(BOARD_HOST, (uint16_t)watchdog_ms, CLOCK_KHZ);
    for (;;) {
        rp_core_poll();
    }
}
