/*
 * Run the romprog AVR image in simavr (libsimavr) and talk to its USART0.
 *
 *   simavr_uart FIRMWARE.elf HEXBYTES [SECONDS]
 *
 * After the firmware has had 100 ms to start, the bytes given in hex are fed to USART0 at the
 * UART's own pace (simavr's XON/XOFF flow signals), and everything the firmware sends is
 * printed as one hex line when SECONDS of simulated time have passed (default 1) or the
 * firmware stops. The Python test builds the request frame and decodes the answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_irq.h>

#define MCU "atmega2560"
#define FREQ 16000000ul
#define START_CYCLES (FREQ / 10) /* firmware start-up before input is fed */
#define MAX_OUT 8192
#define UBRR0_ADDR 0xC4 /* ATmega2560 data sheet, register summary */

static uint8_t out[MAX_OUT];
static size_t out_n;
static int xon;

static void on_output(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)param;
    if (out_n < MAX_OUT) {
        out[out_n++] = (uint8_t)value;
    }
}

static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    xon = 1;
}

static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    (void)param;
    xon = 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: simavr_uart FIRMWARE.elf HEXBYTES [SECONDS]\n");
        return 2;
    }
    size_t in_n = strlen(argv[2]) / 2;
    uint8_t *in = malloc(in_n + 1);
    for (size_t i = 0; i < in_n; i++) {
        unsigned v;
        sscanf(argv[2] + 2 * i, "%2x", &v);
        in[i] = (uint8_t)v;
    }
    double seconds = argc > 3 ? atof(argv[3]) : 1.0;

    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[1], &fw) != 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    strcpy(fw.mmcu, MCU);
    fw.frequency = FREQ;
    avr_t *avr = avr_make_mcu_by_name(fw.mmcu);
    if (!avr) {
        fprintf(stderr, "simavr has no %s core\n", MCU);
        return 2;
    }
    avr_init(avr);
    avr_load_firmware(avr, &fw);

    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~AVR_UART_FLAG_STDIO;
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            on_output, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                            on_xon, NULL);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                            on_xoff, NULL);
    avr_irq_t *input = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);

    size_t in_pos = 0;
    avr_cycle_count_t end = (avr_cycle_count_t)(seconds * FREQ);
    int state = cpu_Running;
    while (avr->cycle < end && state != cpu_Done && state != cpu_Crashed) {
        state = avr_run(avr);
        if (avr->cycle > START_CYCLES && xon && in_pos < in_n) {
            avr_raise_irq(input, in[in_pos++]);
        }
    }
    for (size_t i = 0; i < out_n; i++) {
        printf("%02x", out[i]);
    }
    printf("\n");
    /* UBRR0 (data-space 0xC4/0xC5) tells which baud rate the firmware ended at. */
    unsigned ubrr = avr->data[UBRR0_ADDR] | ((avr->data[UBRR0_ADDR + 1] & 0x0F) << 8);
    fprintf(stderr, "simavr: state %d after %llu cycles, %zu bytes in, %zu out\n", state,
            (unsigned long long)avr->cycle, in_pos, out_n);
    printf("ubrr0 %u\n", ubrr);
    return state == cpu_Crashed ? 1 : 0;
}
