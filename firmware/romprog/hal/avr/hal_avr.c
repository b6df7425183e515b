/*
 * AVR HAL: ATmega2560 at 16 MHz on the romprog shield (hardware/romprog-shield/).
 *
 * Pins come from rp_pins.h, generated from the shield's pinmap.toml. Timer0 ticks the 1 ms
 * clock, Timer1 (free running, 0.5 µs per tick) times program pulses and delays, Timer2 and
 * Timer3 make the PWM trim voltages for the VPP boost converter and the VCC regulator, the
 * ADC reads VPP through its divider, and the hardware watchdog resets a hung board (every
 * switch input has a pull-down, so a reset removes VPP and VCC).
 *
 * USART0 receives into a ring in its interrupt and does nothing else (PROTOCOL.md section
 * 10); the ring holds the whole write window plus a control frame, so bytes arriving during a
 * page write or a 100 µs pulse are never lost.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include <util/atomic.h>

#include "rp_config.h"
#include "rp_core.h"
#include "rp_hal.h"
#include "rp_pins.h"

#define BOARD_REFERENCE 1 /* HELLO board id: the reference ATmega2560 board */
#define CLOCK_KHZ (F_CPU / 1000ul)

/* UART receive ring: the window's DATA frames encoded (COBS adds 1 byte per 254, plus the
 * delimiter and 12 bytes of header and CRC per frame) and one control frame. */
#define RX_RING 2560u
/* Timer1 runs at F_CPU / 8: two ticks per µs; busy-waits are cut into pieces that fit. */
#define T1_TICKS_PER_US 2u
#define T1_MAX_WAIT_US 30000u
/* ADC: internal 2.56 V reference, 10 bits, averaged over 8 conversions. */
#define ADC_REF_MV 2560ul
#define ADC_STEPS 1024ul
#define ADC_SAMPLES 8u
/* PWM trims (8-bit duty, RC-filtered 10 kΩ / 220 nF) set the supplies; the ADC closes the
 * loop. Open-loop start points from the shield's nominal design
 * (hardware/romprog-shield/README.md): the VPP boost gives 23.6 V at duty 0 and 68 mV less per
 * step; the VCC regulator gives 4.72 V at duty 0 and 8.7 mV more per step. */
#define VPP_AT_DUTY0_MV 23600u
#define VPP_UV_PER_STEP 68000ul /* falling */
#define VCC_AT_DUTY0_MV 4720u
#define VCC_UV_PER_STEP 8700ul /* rising */
/* Closed-loop trim: settle (3 RC time constants), measure, correct; stop within one step. */
#define TRIM_SETTLE_US 7000u
#define TRIM_ROUNDS 8u
/* A9 identification level: 12 V ± 0.5 V (programmers.md section 5.1), from the VPP boost. */
#define A9_ID_MV 12000u
/* Hardware watchdog: the main loop kicks it every pass and the algorithms during long polls. */
#define WDT_TIMEOUT WDTO_500MS

static volatile uint8_t rx_ring[RX_RING];
static volatile uint16_t rx_head;
static uint16_t rx_tail;
static volatile uint32_t millis_count;

static void regulate_vpp(uint16_t mv);

static struct rp_variant variant;
static uint8_t have_variant;
static uint8_t role[RP_VL_COUNT];
static uint16_t vpp_level_mv;
static uint8_t vpp_switched;

/* ---- interrupts --------------------------------------------------------------------------- */

ISR(USART0_RX_vect)
{
    uint8_t b = UDR0;
    uint16_t next = (uint16_t)((rx_head + 1) % RX_RING);
    if (next != rx_tail) { /* full: the byte is lost; the frame CRC and go-back-N repair it */
        rx_ring[rx_head] = b;
        rx_head = next;
    }
}

ISR(TIMER0_COMPA_vect)
{
    millis_count++;
}

/* ---- time --------------------------------------------------------------------------------- */

uint32_t hal_millis(void)
{
    uint32_t ms;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { ms = millis_count; }
    return ms;
}

static void wait_us(uint32_t us)
{
    while (us) {
        uint16_t part = us > T1_MAX_WAIT_US ? T1_MAX_WAIT_US : (uint16_t)us;
        uint16_t start = TCNT1;
        while ((uint16_t)(TCNT1 - start) < (uint16_t)(part * T1_TICKS_PER_US)) {
        }
        us -= part;
        wdt_reset();
    }
}

void hal_delay_us(uint32_t us)
{
    wait_us(us);
}

void hal_kick(void)
{
    wdt_reset();
}

/* ---- UART --------------------------------------------------------------------------------- */

/* Largest rate error accepted, in 1/1000: 115200 baud on a 16 MHz AVR is 2.1 % fast, and
 * works because the Mega's USB bridge (an ATmega16U2, also at 16 MHz) is off by the same 2.1 %;
 * 250k, 500k and 1M are exact. */
#define BAUD_TOLERANCE_PERMILLE 25u

/* UBRR + 1 in double-speed mode; 0 when the rate cannot be made within the tolerance. */
static uint16_t ubrr_for(uint32_t baud)
{
    uint32_t div = (F_CPU / 8ul + baud / 2) / baud;
    if (div == 0 || div > 4096) {
        return 0;
    }
    uint32_t actual = F_CPU / 8ul / div;
    uint32_t err = actual > baud ? actual - baud : baud - actual;
    if (err * 1000ul > baud * BAUD_TOLERANCE_PERMILLE) {
        return 0;
    }
    return (uint16_t)div;
}

uint8_t hal_uart_baud_ok(uint32_t baud)
{
    return ubrr_for(baud) != 0;
}

void hal_uart_set_baud(uint32_t baud)
{
    uint16_t div = ubrr_for(baud);
    if (div) {
        UBRR0 = div - 1;
    }
}

int16_t hal_uart_getc(void)
{
    if (rx_tail == rx_head) {
        return -1;
    }
    uint8_t b = rx_ring[rx_tail];
    rx_tail = (uint16_t)((rx_tail + 1) % RX_RING);
    return b;
}

void hal_uart_send(const uint8_t *data, uint16_t n)
{
    while (n--) {
        while (!(UCSR0A & _BV(UDRE0))) {
        }
        UCSR0A |= _BV(TXC0); /* clear "transmit complete" for hal_uart_drain */
        UDR0 = *data++;
    }
}

void hal_uart_drain(void)
{
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    while (!(UCSR0A & _BV(TXC0))) {
    }
}

void hal_wait_input(void)
{
    /* Idle sleep: the next byte or the 1 ms tick wakes the core. */
    set_sleep_mode(SLEEP_MODE_IDLE);
    sleep_mode();
}

/* ---- socket lines ------------------------------------------------------------------------- */

static void pin_level(const struct rp_pinref *ref, uint8_t high)
{
    /* Low-side lines drive a pull-down transistor: MCU high = socket pin low. */
    if (high ^ ref->low_side) {
        *ref->port |= ref->mask;
    } else {
        *ref->port &= (uint8_t)~ref->mask;
    }
    *ref->ddr |= ref->mask;
}

static void pin_release(const struct rp_pinref *ref)
{
    *ref->ddr &= (uint8_t)~ref->mask;
    *ref->port &= (uint8_t)~ref->mask;
}

static void switch_set(uint8_t sw, uint8_t on)
{
    if (sw == RP_NO_SWITCH) {
        return;
    }
    struct rp_pinref ref = RP_SWITCH_PINS[sw];
    pin_level(&ref, on);
}

static void ce(uint8_t active)
{
    if (active) {
        RP_LINE_CE_PORT &= (uint8_t)~_BV(RP_LINE_CE_BIT);
    } else {
        RP_LINE_CE_PORT |= _BV(RP_LINE_CE_BIT);
    }
}

static void oe(uint8_t active)
{
    /* OE is a low-side line: MCU high pulls the socket pin low (active). */
    if (active) {
        RP_LINE_OE_PORT |= _BV(RP_LINE_OE_BIT);
    } else {
        RP_LINE_OE_PORT &= (uint8_t)~_BV(RP_LINE_OE_BIT);
    }
}

static void set_address(uint32_t addr)
{
    RP_LINE_A0_PORT = (uint8_t)addr; /* A0..A7 are PORTA 0..7 */
    uint8_t c = (uint8_t)(RP_LINE_A8_PORT & 0xC0u);
    c |= (uint8_t)((addr >> 8) & 0x3Fu); /* A8..A13 are PORTC 0..5 */
    RP_LINE_A8_PORT = c ^ (RP_LOW_SIDE_C & 0x3Fu);
    for (uint8_t i = 0; i < RP_VL_COUNT; i++) {
        if (RP_ROLE_IS_ADDRESS(role[i])) {
            struct rp_pinref ref = RP_VAR_LINE_PINS[i];
            pin_level(&ref, (uint8_t)((addr >> (role[i] - RP_ROLE_A(0))) & 1u));
        }
    }
}

static void strobe(uint8_t line, uint8_t active)
{
    if (line == RP_PGM_CE) {
        ce(active);
    } else {
        struct rp_pinref ref = RP_VAR_LINE_PINS[line];
        pin_level(&ref, !active);
    }
}

static void data_in(void)
{
    DDRK = 0x00;
    PORTK = 0xFF; /* pull-ups: an empty socket reads 0xFF, as the datasheet models expect */
}

static void data_out(uint8_t v)
{
    PORTK = v;
    DDRK = 0xFF;
}

/* 500 ns at 16 MHz between CE#/OE# low and sampling the data: tCE of the slowest parts in
 * NIC sockets (NMOS 2764-45: 450 ns; CMOS -15 parts need 150 ns). */
#define READ_SETTLE()                                                                            \
    __asm__ __volatile__("nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop")
/* 250 ns WE# pulse: above tWP (100 ns on 28C/29C/39SF data sheets). */
#define WRITE_PULSE() __asm__ __volatile__("nop\n\tnop\n\tnop\n\tnop")

uint8_t hal_read(uint32_t addr)
{
    data_in();
    set_address(addr);
    ce(1);
    oe(1);
    READ_SETTLE();
    uint8_t v = PINK;
    oe(0);
    ce(0);
    return v;
}

void hal_read_block(uint32_t addr, uint8_t *buf, uint16_t n)
{
    while (n--) {
        *buf++ = hal_read(addr++);
    }
}

void hal_write(uint32_t addr, uint8_t value)
{
    oe(0);
    set_address(addr);
    data_out(value);
    ce(1);
    strobe(variant.pgm, 1);
    WRITE_PULSE();
    strobe(variant.pgm, 0);
    ce(0);
    data_in();
}

void hal_pulse(uint32_t addr, uint8_t value, uint32_t width_us)
{
    oe(0);
    set_address(addr);
    data_out(value);
    if (variant.pgm == RP_PGM_CE) {
        ce(1);
        wait_us(width_us);
        ce(0);
    } else {
        ce(1);
        strobe(variant.pgm, 1);
        wait_us(width_us);
        strobe(variant.pgm, 0);
        ce(0);
    }
    data_in();
}

uint8_t hal_read_signature(uint32_t addr)
{
    /* A9 is released before 12 V goes on: the series resistor must not feed the MCU pin. */
    RP_LINE_A9_DDR &= (uint8_t)~_BV(RP_LINE_A9_BIT);
    if (vpp_level_mv != A9_ID_MV) {
        regulate_vpp(A9_ID_MV); /* the A9 switch takes its 12 V from the VPP boost */
    }
    struct rp_pinref a9 = RP_SWITCH_PINS[RP_SWITCH_A9_HV];
    pin_level(&a9, 1);
    wait_us(1000); /* the 12 V switch settles */
    uint8_t v = hal_read(addr & ~(1ul << 9));
    pin_level(&a9, 0);
    wait_us(100);
    RP_LINE_A9_DDR |= _BV(RP_LINE_A9_BIT);
    return v;
}

/* ---- power -------------------------------------------------------------------------------- */

static uint16_t adc_read(uint8_t channel);

static uint16_t sense_mv(uint8_t channel, uint32_t top, uint32_t bottom)
{
    uint32_t at_pin = (uint32_t)adc_read(channel) * ADC_REF_MV / ADC_STEPS;
    return (uint16_t)(at_pin * (top + bottom) / bottom);
}

static uint16_t vpp_rail_mv(void)
{
    return sense_mv(RP_SENSE_VPP_SENSE_ADC, RP_SENSE_VPP_SENSE_DIV_TOP,
                    RP_SENSE_VPP_SENSE_DIV_BOTTOM);
}

static uint16_t vcc_rail_mv(void)
{
    return sense_mv(RP_SENSE_VCC_SENSE_ADC, RP_SENSE_VCC_SENSE_DIV_TOP,
                    RP_SENSE_VCC_SENSE_DIV_BOTTOM);
}

static uint8_t clamp_duty(int32_t d)
{
    return d < 0 ? 0 : d > 255 ? 255 : (uint8_t)d;
}

/* Set the VPP boost to mv: open-loop start, then correct from the ADC. */
static void regulate_vpp(uint16_t mv)
{
    int32_t duty = ((int32_t)VPP_AT_DUTY0_MV - mv) * 1000l / (int32_t)VPP_UV_PER_STEP;
    OCR2A = clamp_duty(duty);
    PORTE |= _BV(RP_CTL_VPP_BOOST_EN_BIT);
    for (uint8_t i = 0; i < TRIM_ROUNDS; i++) {
        wait_us(TRIM_SETTLE_US);
        int32_t err_uv = ((int32_t)vpp_rail_mv() - mv) * 1000l;
        int32_t steps = err_uv / (int32_t)VPP_UV_PER_STEP; /* too high: more duty */
        if (!steps) {
            break;
        }
        OCR2A = clamp_duty(OCR2A + steps);
    }
    vpp_level_mv = mv;
}

static void regulate_vcc(uint16_t mv)
{
    int32_t duty = ((int32_t)mv - VCC_AT_DUTY0_MV) * 1000l / (int32_t)VCC_UV_PER_STEP;
    OCR3A = clamp_duty(duty);
    for (uint8_t i = 0; i < TRIM_ROUNDS; i++) {
        wait_us(TRIM_SETTLE_US);
        int32_t err_uv = ((int32_t)mv - vcc_rail_mv()) * 1000l;
        int32_t steps = err_uv / (int32_t)VCC_UV_PER_STEP; /* too low: more duty */
        if (!steps) {
            break;
        }
        OCR3A = clamp_duty((int32_t)OCR3A + steps);
    }
}

uint8_t hal_socket_supports(const struct rp_profile *p)
{
    uint8_t eprom = p->algorithm == RP_ALG_EPROM_QUICKPULSE || p->algorithm == RP_ALG_EPROM_STANDARD;
    for (uint8_t i = 0; i < RP_VARIANT_COUNT; i++) {
        struct rp_variant v;
        memcpy_P(&v, &RP_VARIANTS[i], sizeof v);
        if (v.pins == p->pins && v.eprom == eprom && p->size >= v.min_size &&
            p->size <= v.max_size) {
            return 1;
        }
    }
    return 0;
}

void hal_socket_setup(const struct rp_profile *p)
{
    uint8_t eprom = p->algorithm == RP_ALG_EPROM_QUICKPULSE || p->algorithm == RP_ALG_EPROM_STANDARD;
    have_variant = 0;
    for (uint8_t i = 0; i < RP_VARIANT_COUNT; i++) {
        memcpy_P(&variant, &RP_VARIANTS[i], sizeof variant);
        if (variant.pins == p->pins && variant.eprom == eprom && p->size >= variant.min_size &&
            p->size <= variant.max_size) {
            have_variant = 1;
            break;
        }
    }
    for (uint8_t i = 0; i < RP_VL_COUNT; i++) {
        struct rp_pinref ref = RP_VAR_LINE_PINS[i];
        role[i] = have_variant ? variant.role[i] : RP_ROLE_NC;
        switch (role[i]) {
        case RP_ROLE_PGM:
        case RP_ROLE_WE:
        case RP_ROLE_VPP: /* logic high between pulses */
        case RP_ROLE_HIGH:
            pin_level(&ref, 1);
            break;
        case RP_ROLE_LOW:
            pin_level(&ref, 0);
            break;
        case RP_ROLE_NC:
        case RP_ROLE_VCC: /* a supply pin: the VCC switch drives it, the line lets go */
            pin_release(&ref);
            break;
        default:
            pin_level(&ref, 0);
            break;
        }
    }
}

void hal_vcc(uint16_t mv)
{
    if (!mv) {
        /* Socket off: VPP first, then VCC, then every line released so nothing back-feeds a
         * chip without supply. */
        hal_vpp(0);
        PORTE &= (uint8_t)~_BV(RP_CTL_VPP_BOOST_EN_BIT);
        vpp_level_mv = 0;
        for (uint8_t s = 0; s < RP_SWITCH_COUNT; s++) {
            switch_set(s, 0);
        }
        DDRA = 0;
        PORTA = 0;
        DDRK = 0;
        PORTK = 0;
        for (uint8_t i = 0; i < RP_VL_COUNT; i++) {
            struct rp_pinref ref = RP_VAR_LINE_PINS[i];
            pin_release(&ref);
        }
        DDRC = 0;
        PORTC = 0;
        /* CE# high into an unpowered chip would feed it through its clamp diodes. */
        RP_LINE_CE_DDR &= (uint8_t)~_BV(RP_LINE_CE_BIT);
        RP_LINE_CE_PORT &= (uint8_t)~_BV(RP_LINE_CE_BIT);
        RP_LINE_OE_DDR &= (uint8_t)~_BV(RP_LINE_OE_BIT);
        RP_LINE_OE_PORT &= (uint8_t)~_BV(RP_LINE_OE_BIT);
        return;
    }
    regulate_vcc(mv);
    DDRA = 0xFF;
    DDRC |= 0x3Fu;
    RP_LINE_CE_DDR |= _BV(RP_LINE_CE_BIT);
    RP_LINE_OE_DDR |= _BV(RP_LINE_OE_BIT);
    ce(0);
    oe(0);
    data_in();
    if (have_variant) {
        switch_set(variant.vcc_switch, 1);
    }
}

void hal_vpp(uint16_t mv)
{
    if (!mv) {
        if (have_variant) {
            switch_set(variant.vpp_switch, 0);
        }
        vpp_switched = 0;
        return;
    }
    if (mv != vpp_level_mv) {
        regulate_vpp(mv); /* the 27C512's OE/VPP toggling keeps the level: no re-trim */
    }
    if (have_variant && variant.vpp_switch != RP_NO_SWITCH) {
        switch_set(variant.vpp_switch, 1);
        vpp_switched = 1;
    }
}

static uint16_t adc_read(uint8_t channel)
{
    ADMUX = (uint8_t)(_BV(REFS1) | _BV(REFS0) | (channel & 0x07u)); /* 2.56 V internal */
    ADCSRB &= (uint8_t)~_BV(MUX5);
    uint32_t sum = 0;
    for (uint8_t i = 0; i < ADC_SAMPLES; i++) {
        ADCSRA |= _BV(ADSC);
        while (ADCSRA & _BV(ADSC)) {
        }
        sum += ADC;
    }
    return (uint16_t)(sum / ADC_SAMPLES);
}

uint16_t hal_vpp_measure(void)
{
    /* The divider sees the VPP rail ahead of the pin switches. */
    return vpp_switched ? vpp_rail_mv() : 0;
}

uint32_t hal_extra_caps(void)
{
    return 0; /* a real board has no UV lamp */
}

uint8_t hal_uv_erase(uint16_t minutes)
{
    (void)minutes;
    return 0;
}

uint8_t hal_overcurrent(void)
{
    if (RP_CTL_OVERCURRENT_N_PIN & _BV(RP_CTL_OVERCURRENT_N_BIT)) {
        return 0;
    }
    /* The comparators share one line: blame VPP when it is on, VCC otherwise. */
    return vpp_switched ? 1 : 2;
}

/* ---- entry -------------------------------------------------------------------------------- */

void hal_init(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    MCUSR = 0;
    wdt_enable(WDT_TIMEOUT);
    /* Controls: outputs, everything off. */
    RP_CTL_VPP_BOOST_EN_DDR |= _BV(RP_CTL_VPP_BOOST_EN_BIT);
    RP_CTL_VPP_TRIM_DDR |= _BV(RP_CTL_VPP_TRIM_BIT);
    RP_CTL_VCC_TRIM_DDR |= _BV(RP_CTL_VCC_TRIM_BIT);
    RP_CTL_BUSY_LED_DDR |= _BV(RP_CTL_BUSY_LED_BIT);
    RP_CTL_OVERCURRENT_N_PORT |= _BV(RP_CTL_OVERCURRENT_N_BIT); /* pull-up */
    /* Timer0: 1 ms tick (16 MHz / 64 / 250). */
    TCCR0A = _BV(WGM01);
    TCCR0B = _BV(CS01) | _BV(CS00);
    OCR0A = 249;
    TIMSK0 = _BV(OCIE0A);
    /* Timer1: free running at 2 MHz for pulse timing. */
    TCCR1A = 0;
    TCCR1B = _BV(CS11);
    /* Timer2: fast PWM on OC2A (VPP trim); Timer3: 8-bit fast PWM on OC3A (VCC trim). */
    TCCR2A = _BV(COM2A1) | _BV(WGM21) | _BV(WGM20);
    TCCR2B = _BV(CS20);
    OCR2A = 255; /* lowest VPP until a profile asks */
    TCCR3A = _BV(COM3A1) | _BV(WGM30);
    TCCR3B = _BV(WGM32) | _BV(CS30);
    OCR3A = 0; /* lowest VCC (the rail stays off until a profile asks) */
    /* ADC on, clock 16 MHz / 128 = 125 kHz. */
    ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    /* USART0: 8N1, double speed, receive interrupt. */
    UCSR0A = _BV(U2X0);
    hal_uart_set_baud(RP_START_BAUD);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
    UCSR0B = _BV(RXCIE0) | _BV(RXEN0) | _BV(TXEN0);
    sei();
}

int main(void)
{
    hal_init(0, 0);
    rp_core_init(BOARD_REFERENCE, RP_WATCHDOG_MS, CLOCK_KHZ);
    for (;;) {
        rp_core_poll();
    }
}
