/*
 * The hardware abstraction the portable core runs on.
 *
 * Two implementations: hal/avr (ATmega2560 on the romprog shield) and hal/host (a native
 * process whose UART is a pty and whose bus cycles go to romtool's Python chip models).
 * Times are in µs unless a name says otherwise; voltages in mV.
 */
#ifndef RP_HAL_H
#define RP_HAL_H

#include <stdint.h>

#include "rp_proto.h"

/* Bring up clocks, UART at 115200 8N1, timers, ADC; socket unpowered. */
void hal_init(int argc, char **argv);

/* Next received byte, or -1 when none is waiting. Never blocks. */
int16_t hal_uart_getc(void);
/* Queue n bytes for transmission; blocks only while the transmit buffer is full. */
void hal_uart_send(const uint8_t *data, uint16_t n);
/* Wait until every queued byte has left the UART (before a baud change). */
void hal_uart_drain(void);
/* True when the UART can generate baud closely enough (checked before SET_BAUD answers). */
uint8_t hal_uart_baud_ok(uint32_t baud);
/* Switch the UART to baud (after hal_uart_baud_ok said yes). */
void hal_uart_set_baud(uint32_t baud);
/* Nothing to do: wait a little for input (sleep on AVR, poll on the host). */
void hal_wait_input(void);

/* Free-running time since reset, ms and µs (both wrap; compare differences only). */
uint32_t hal_millis(void);
/* Feed the MCU's hardware watchdog (a hung main loop resets the board, socket off). */
void hal_kick(void);

/* True when the board's socket wiring has a variant for this profile (package, size, kind). */
uint8_t hal_socket_supports(const struct rp_profile *profile);
/* Route the socket pins for a profile: which pins carry VPP, PGM, WE for this part. */
void hal_socket_setup(const struct rp_profile *profile);
/* One read cycle at the current VCC. */
uint8_t hal_read(uint32_t addr);
/* n read cycles from addr into buf. */
void hal_read_block(uint32_t addr, uint8_t *buf, uint16_t n);
/* One write cycle (WE pulse, tWP) of value at addr. */
void hal_write(uint32_t addr, uint8_t value);
/* EPROM program pulse: value on the data lines, PGM active for width_us (VPP must be on). */
void hal_pulse(uint32_t addr, uint8_t value, uint32_t width_us);
/* Busy-wait us microseconds with the chip selected and no cycles. */
void hal_delay_us(uint32_t us);
/* A read with A9 at 12 V (EPROM electronic signature). */
uint8_t hal_read_signature(uint32_t addr);

/* Socket VCC in mV; 0 switches VCC off (and floats every socket pin). */
void hal_vcc(uint16_t mv);
/* VPP in mV on the profile's VPP pin; 0 switches VPP off (pin back to its logic level). */
void hal_vpp(uint16_t mv);
/* VPP as measured by the ADC through the divider, mV (0 when off). */
uint16_t hal_vpp_measure(void);
/* Capabilities only this HAL has (RP_CAP_SIM_UV on the host build; 0 on real boards). */
uint32_t hal_extra_caps(void);
/* Simulated UV lamp: erase the chip model for minutes. 0 when the part has no window. */
uint8_t hal_uv_erase(uint16_t minutes);

/* Non-zero when a rail's current limit tripped: 1 VPP, 2 VCC (and the rail is off). */
uint8_t hal_overcurrent(void);

#endif
