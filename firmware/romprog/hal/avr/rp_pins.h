/* Generated from hardware/romprog-shield/pinmap.toml by firmware/romprog/tools/genpins.py.
 * Do not edit: change the pin map and run `make -C firmware/romprog pins`. */
#ifndef RP_PINS_H
#define RP_PINS_H

#include <avr/io.h>
#include <avr/pgmspace.h>
#include <stdint.h>

#define RP_SERIES_OHMS 330

/* Socket lines: port, bit, socket pin. */
#define RP_LINE_A0_PORT PORTA
#define RP_LINE_A0_DDR DDRA
#define RP_LINE_A0_PIN PINA
#define RP_LINE_A0_BIT 0
#define RP_LINE_A0_SOCKET 12
#define RP_LINE_A1_PORT PORTA
#define RP_LINE_A1_DDR DDRA
#define RP_LINE_A1_PIN PINA
#define RP_LINE_A1_BIT 1
#define RP_LINE_A1_SOCKET 11
#define RP_LINE_A2_PORT PORTA
#define RP_LINE_A2_DDR DDRA
#define RP_LINE_A2_PIN PINA
#define RP_LINE_A2_BIT 2
#define RP_LINE_A2_SOCKET 10
#define RP_LINE_A3_PORT PORTA
#define RP_LINE_A3_DDR DDRA
#define RP_LINE_A3_PIN PINA
#define RP_LINE_A3_BIT 3
#define RP_LINE_A3_SOCKET 9
#define RP_LINE_A4_PORT PORTA
#define RP_LINE_A4_DDR DDRA
#define RP_LINE_A4_PIN PINA
#define RP_LINE_A4_BIT 4
#define RP_LINE_A4_SOCKET 8
#define RP_LINE_A5_PORT PORTA
#define RP_LINE_A5_DDR DDRA
#define RP_LINE_A5_PIN PINA
#define RP_LINE_A5_BIT 5
#define RP_LINE_A5_SOCKET 7
#define RP_LINE_A6_PORT PORTA
#define RP_LINE_A6_DDR DDRA
#define RP_LINE_A6_PIN PINA
#define RP_LINE_A6_BIT 6
#define RP_LINE_A6_SOCKET 6
#define RP_LINE_A7_PORT PORTA
#define RP_LINE_A7_DDR DDRA
#define RP_LINE_A7_PIN PINA
#define RP_LINE_A7_BIT 7
#define RP_LINE_A7_SOCKET 5
#define RP_LINE_A8_PORT PORTC
#define RP_LINE_A8_DDR DDRC
#define RP_LINE_A8_PIN PINC
#define RP_LINE_A8_BIT 0
#define RP_LINE_A8_SOCKET 27
#define RP_LINE_A9_PORT PORTC
#define RP_LINE_A9_DDR DDRC
#define RP_LINE_A9_PIN PINC
#define RP_LINE_A9_BIT 1
#define RP_LINE_A9_SOCKET 26
#define RP_LINE_A10_PORT PORTC
#define RP_LINE_A10_DDR DDRC
#define RP_LINE_A10_PIN PINC
#define RP_LINE_A10_BIT 2
#define RP_LINE_A10_SOCKET 23
#define RP_LINE_A11_PORT PORTC
#define RP_LINE_A11_DDR DDRC
#define RP_LINE_A11_PIN PINC
#define RP_LINE_A11_BIT 3
#define RP_LINE_A11_SOCKET 25
#define RP_LINE_A12_PORT PORTC
#define RP_LINE_A12_DDR DDRC
#define RP_LINE_A12_PIN PINC
#define RP_LINE_A12_BIT 4
#define RP_LINE_A12_SOCKET 4
#define RP_LINE_A13_PORT PORTC
#define RP_LINE_A13_DDR DDRC
#define RP_LINE_A13_PIN PINC
#define RP_LINE_A13_BIT 5
#define RP_LINE_A13_SOCKET 28
#define RP_LINE_D0_PORT PORTK
#define RP_LINE_D0_DDR DDRK
#define RP_LINE_D0_PIN PINK
#define RP_LINE_D0_BIT 0
#define RP_LINE_D0_SOCKET 13
#define RP_LINE_D1_PORT PORTK
#define RP_LINE_D1_DDR DDRK
#define RP_LINE_D1_PIN PINK
#define RP_LINE_D1_BIT 1
#define RP_LINE_D1_SOCKET 14
#define RP_LINE_D2_PORT PORTK
#define RP_LINE_D2_DDR DDRK
#define RP_LINE_D2_PIN PINK
#define RP_LINE_D2_BIT 2
#define RP_LINE_D2_SOCKET 15
#define RP_LINE_D3_PORT PORTK
#define RP_LINE_D3_DDR DDRK
#define RP_LINE_D3_PIN PINK
#define RP_LINE_D3_BIT 3
#define RP_LINE_D3_SOCKET 17
#define RP_LINE_D4_PORT PORTK
#define RP_LINE_D4_DDR DDRK
#define RP_LINE_D4_PIN PINK
#define RP_LINE_D4_BIT 4
#define RP_LINE_D4_SOCKET 18
#define RP_LINE_D5_PORT PORTK
#define RP_LINE_D5_DDR DDRK
#define RP_LINE_D5_PIN PINK
#define RP_LINE_D5_BIT 5
#define RP_LINE_D5_SOCKET 19
#define RP_LINE_D6_PORT PORTK
#define RP_LINE_D6_DDR DDRK
#define RP_LINE_D6_PIN PINK
#define RP_LINE_D6_BIT 6
#define RP_LINE_D6_SOCKET 20
#define RP_LINE_D7_PORT PORTK
#define RP_LINE_D7_DDR DDRK
#define RP_LINE_D7_PIN PINK
#define RP_LINE_D7_BIT 7
#define RP_LINE_D7_SOCKET 21
#define RP_LINE_CE_PORT PORTG
#define RP_LINE_CE_DDR DDRG
#define RP_LINE_CE_PIN PING
#define RP_LINE_CE_BIT 0
#define RP_LINE_CE_SOCKET 22
#define RP_LINE_OE_PORT PORTG
#define RP_LINE_OE_DDR DDRG
#define RP_LINE_OE_PIN PING
#define RP_LINE_OE_BIT 1
#define RP_LINE_OE_SOCKET 24
#define RP_LINE_S1_PORT PORTL
#define RP_LINE_S1_DDR DDRL
#define RP_LINE_S1_PIN PINL
#define RP_LINE_S1_BIT 3
#define RP_LINE_S1_SOCKET 1
#define RP_LINE_S2_PORT PORTL
#define RP_LINE_S2_DDR DDRL
#define RP_LINE_S2_PIN PINL
#define RP_LINE_S2_BIT 0
#define RP_LINE_S2_SOCKET 2
#define RP_LINE_S3_PORT PORTC
#define RP_LINE_S3_DDR DDRC
#define RP_LINE_S3_PIN PINC
#define RP_LINE_S3_BIT 7
#define RP_LINE_S3_SOCKET 3
#define RP_LINE_S29_PORT PORTC
#define RP_LINE_S29_DDR DDRC
#define RP_LINE_S29_PIN PINC
#define RP_LINE_S29_BIT 6
#define RP_LINE_S29_SOCKET 29
#define RP_LINE_S30_PORT PORTL
#define RP_LINE_S30_DDR DDRL
#define RP_LINE_S30_PIN PINL
#define RP_LINE_S30_BIT 1
#define RP_LINE_S30_SOCKET 30
#define RP_LINE_S31_PORT PORTL
#define RP_LINE_S31_DDR DDRL
#define RP_LINE_S31_PIN PINL
#define RP_LINE_S31_BIT 2
#define RP_LINE_S31_SOCKET 31

/* Lines that drive a 2N7000 pull-down (VPP-capable socket pins): the MCU writes the
 * inverse of the wanted level. One mask per port. */
#define RP_LOW_SIDE_A 0x00u
#define RP_LOW_SIDE_C 0x88u
#define RP_LOW_SIDE_G 0x02u
#define RP_LOW_SIDE_K 0x00u
#define RP_LOW_SIDE_L 0x08u

/* Power switches, controls and sense inputs. */
#define RP_SW_VPP_S1_PORT PORTB
#define RP_SW_VPP_S1_DDR DDRB
#define RP_SW_VPP_S1_PIN PINB
#define RP_SW_VPP_S1_BIT 0
#define RP_SW_VPP_S3_PORT PORTB
#define RP_SW_VPP_S3_DDR DDRB
#define RP_SW_VPP_S3_PIN PINB
#define RP_SW_VPP_S3_BIT 1
#define RP_SW_VPP_S24_PORT PORTB
#define RP_SW_VPP_S24_DDR DDRB
#define RP_SW_VPP_S24_PIN PINB
#define RP_SW_VPP_S24_BIT 2
#define RP_SW_VPP_S25_PORT PORTB
#define RP_SW_VPP_S25_DDR DDRB
#define RP_SW_VPP_S25_PIN PINB
#define RP_SW_VPP_S25_BIT 3
#define RP_SW_A9_HV_PORT PORTH
#define RP_SW_A9_HV_DDR DDRH
#define RP_SW_A9_HV_PIN PINH
#define RP_SW_A9_HV_BIT 6
#define RP_SW_VCC_S32_PORT PORTH
#define RP_SW_VCC_S32_DDR DDRH
#define RP_SW_VCC_S32_PIN PINH
#define RP_SW_VCC_S32_BIT 3
#define RP_SW_VCC_S30_PORT PORTH
#define RP_SW_VCC_S30_DDR DDRH
#define RP_SW_VCC_S30_PIN PINH
#define RP_SW_VCC_S30_BIT 4
#define RP_SW_VCC_S28_PORT PORTH
#define RP_SW_VCC_S28_DDR DDRH
#define RP_SW_VCC_S28_PIN PINH
#define RP_SW_VCC_S28_BIT 5
#define RP_CTL_VPP_BOOST_EN_PORT PORTE
#define RP_CTL_VPP_BOOST_EN_DDR DDRE
#define RP_CTL_VPP_BOOST_EN_PIN PINE
#define RP_CTL_VPP_BOOST_EN_BIT 4
#define RP_CTL_VPP_TRIM_PORT PORTB
#define RP_CTL_VPP_TRIM_DDR DDRB
#define RP_CTL_VPP_TRIM_PIN PINB
#define RP_CTL_VPP_TRIM_BIT 4
#define RP_CTL_VCC_TRIM_PORT PORTE
#define RP_CTL_VCC_TRIM_DDR DDRE
#define RP_CTL_VCC_TRIM_PIN PINE
#define RP_CTL_VCC_TRIM_BIT 3
#define RP_CTL_OVERCURRENT_N_PORT PORTD
#define RP_CTL_OVERCURRENT_N_DDR DDRD
#define RP_CTL_OVERCURRENT_N_PIN PIND
#define RP_CTL_OVERCURRENT_N_BIT 0
#define RP_CTL_BUSY_LED_PORT PORTH
#define RP_CTL_BUSY_LED_DDR DDRH
#define RP_CTL_BUSY_LED_PIN PINH
#define RP_CTL_BUSY_LED_BIT 1
#define RP_SENSE_VPP_SENSE_PORT PORTF
#define RP_SENSE_VPP_SENSE_DDR DDRF
#define RP_SENSE_VPP_SENSE_PIN PINF
#define RP_SENSE_VPP_SENSE_BIT 0
#define RP_SENSE_VPP_SENSE_ADC 0
#define RP_SENSE_VPP_SENSE_DIV_TOP 47000ul
#define RP_SENSE_VPP_SENSE_DIV_BOTTOM 5100ul
#define RP_SENSE_VCC_SENSE_PORT PORTF
#define RP_SENSE_VCC_SENSE_DDR DDRF
#define RP_SENSE_VCC_SENSE_PIN PINF
#define RP_SENSE_VCC_SENSE_BIT 1
#define RP_SENSE_VCC_SENSE_ADC 1
#define RP_SENSE_VCC_SENSE_DIV_TOP 10000ul
#define RP_SENSE_VCC_SENSE_DIV_BOTTOM 10000ul

/* Variable socket lines, in RP_VARIANTS role order. */
enum rp_var_line {
    RP_VL_S1 = 0,
    RP_VL_S2 = 1,
    RP_VL_S3 = 2,
    RP_VL_S29 = 3,
    RP_VL_S30 = 4,
    RP_VL_S31 = 5,
    RP_VL_COUNT = 6,
};

enum rp_role {
    RP_ROLE_NC = 0,
    RP_ROLE_HIGH = 1,
    RP_ROLE_LOW = 2,
    RP_ROLE_PGM = 3,
    RP_ROLE_WE = 4,
    RP_ROLE_VPP = 5,
    RP_ROLE_VCC = 6,
};
#define RP_ROLE_A(n) (32 + (n))
#define RP_ROLE_IS_ADDRESS(r) ((r) >= 32)
#define RP_PGM_CE 0xFEu
#define RP_NO_SWITCH 0xFFu

enum rp_switch {
    RP_SWITCH_VPP_S1 = 0,
    RP_SWITCH_VPP_S3 = 1,
    RP_SWITCH_VPP_S24 = 2,
    RP_SWITCH_VPP_S25 = 3,
    RP_SWITCH_A9_HV = 4,
    RP_SWITCH_VCC_S32 = 5,
    RP_SWITCH_VCC_S30 = 6,
    RP_SWITCH_VCC_S28 = 7,
    RP_SWITCH_COUNT = 8,
};

struct rp_pinref {
    volatile uint8_t *port;
    volatile uint8_t *ddr;
    uint8_t mask;
    uint8_t low_side;
};

static const struct rp_pinref RP_VAR_LINE_PINS[RP_VL_COUNT] = {
    {&PORTL, &DDRL, 1u << 3, 1}, /* S1: socket 1 */
    {&PORTL, &DDRL, 1u << 0, 0}, /* S2: socket 2 */
    {&PORTC, &DDRC, 1u << 7, 1}, /* S3: socket 3 */
    {&PORTC, &DDRC, 1u << 6, 0}, /* S29: socket 29 */
    {&PORTL, &DDRL, 1u << 1, 0}, /* S30: socket 30 */
    {&PORTL, &DDRL, 1u << 2, 0}, /* S31: socket 31 */
};

static const struct rp_pinref RP_SWITCH_PINS[RP_SWITCH_COUNT] = {
    {&PORTB, &DDRB, 1u << 0, 0}, /* VPP_S1: VPP to socket 1 */
    {&PORTB, &DDRB, 1u << 1, 0}, /* VPP_S3: VPP to socket 3 */
    {&PORTB, &DDRB, 1u << 2, 0}, /* VPP_S24: VPP to socket 24 */
    {&PORTB, &DDRB, 1u << 3, 0}, /* VPP_S25: VPP to socket 25 */
    {&PORTH, &DDRH, 1u << 6, 0}, /* A9_HV: A9_12V to socket 26 */
    {&PORTH, &DDRH, 1u << 3, 0}, /* VCC_S32: VCC to socket 32 */
    {&PORTH, &DDRH, 1u << 4, 0}, /* VCC_S30: VCC to socket 30 */
    {&PORTH, &DDRH, 1u << 5, 0}, /* VCC_S28: VCC to socket 28 */
};

struct rp_variant {
    uint8_t pins;
    uint8_t eprom;
    uint32_t min_size;
    uint32_t max_size;
    uint8_t role[RP_VL_COUNT];
    uint8_t pgm;
    uint8_t vpp_switch;
    uint8_t vcc_switch;
};

static const struct rp_variant RP_VARIANTS[] PROGMEM = {
    /* 27C512 */
    {28, 1, 65536ul, 65536ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_A(15), RP_ROLE_A(14), RP_ROLE_VCC, RP_ROLE_NC}, RP_PGM_CE, RP_SWITCH_VPP_S24, RP_SWITCH_VCC_S30},
    /* 27C256 */
    {28, 1, 32768ul, 32768ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_VPP, RP_ROLE_A(14), RP_ROLE_VCC, RP_ROLE_NC}, RP_PGM_CE, RP_SWITCH_VPP_S3, RP_SWITCH_VCC_S30},
    /* 2764/27128 */
    {28, 1, 8192ul, 16384ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_VPP, RP_ROLE_PGM, RP_ROLE_VCC, RP_ROLE_NC}, RP_VL_S29, RP_SWITCH_VPP_S3, RP_SWITCH_VCC_S30},
    /* 28C256/AT29C256 */
    {28, 0, 32768ul, 32768ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_A(14), RP_ROLE_WE, RP_ROLE_VCC, RP_ROLE_NC}, RP_VL_S29, RP_NO_SWITCH, RP_SWITCH_VCC_S30},
    /* 28C64/28C16 */
    {28, 0, 2048ul, 16384ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_WE, RP_ROLE_VCC, RP_ROLE_NC}, RP_VL_S29, RP_NO_SWITCH, RP_SWITCH_VCC_S30},
    /* 27C040 */
    {32, 1, 524288ul, 524288ul, {RP_ROLE_VPP, RP_ROLE_A(16), RP_ROLE_A(15), RP_ROLE_A(14), RP_ROLE_A(17), RP_ROLE_A(18)}, RP_PGM_CE, RP_SWITCH_VPP_S1, RP_SWITCH_VCC_S32},
    /* 27C010/27C020 */
    {32, 1, 131072ul, 262144ul, {RP_ROLE_VPP, RP_ROLE_A(16), RP_ROLE_A(15), RP_ROLE_A(14), RP_ROLE_A(17), RP_ROLE_PGM}, RP_VL_S31, RP_SWITCH_VPP_S1, RP_SWITCH_VCC_S32},
    /* JEDEC 32-pin flash */
    {32, 0, 65536ul, 524288ul, {RP_ROLE_A(18), RP_ROLE_A(16), RP_ROLE_A(15), RP_ROLE_A(14), RP_ROLE_A(17), RP_ROLE_WE}, RP_VL_S31, RP_NO_SWITCH, RP_SWITCH_VCC_S32},
    /* 2716 */
    {24, 1, 2048ul, 2048ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC}, RP_PGM_CE, RP_SWITCH_VPP_S25, RP_SWITCH_VCC_S28},
    /* 2732 */
    {24, 1, 4096ul, 4096ul, {RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC, RP_ROLE_NC}, RP_PGM_CE, RP_SWITCH_VPP_S24, RP_SWITCH_VCC_S28},
};
#define RP_VARIANT_COUNT (sizeof RP_VARIANTS / sizeof RP_VARIANTS[0])

#endif
