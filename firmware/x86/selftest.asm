; romtool self-test option ROM
;
; An x86 option ROM that proves a boot-ROM socket and a burning chain before real network boot
; code goes in. On init it reports, through INT 10h (screen), COM1 and optionally QEMU's
; debugcon port:
;   * its name and version, the segment it runs at, its size and whether its own 8-bit
;     checksum is good (it sums itself);
;   * for a PCI build: the bus/device/function the BIOS passed in AX and the vendor:device the
;     card reports in config space, compared with the ROM's PCIR ids;
;   * whether the BIOS handed over a PnP installation structure (ES:DI -> "$PnP");
;   * when romtool recorded the chip geometry: whether the whole chip is visible in the memory
;     window, or the socket aliases (decodes fewer address lines than the chip has).
; Its PnP Boot Entry Vector says it was chosen as boot device, waits a few seconds for a key,
; then returns to the BIOS (RETF) so the next boot device is tried.
;
; The file assembles to a template: size byte, PCIR ids and lengths and the checksums are 0
; here and are filled in by `romtool build --payload selftest` (romtool/optionrom/selftest.py),
; which also patches the info block below. Build: `make -C firmware/x86` (see the Makefile).
;
; The code is 8086-only (`cpu 8086`) so the ISA build runs on a PC/XT; PCI BIOS calls are
; plain INT 1Ah with 16-bit registers.

cpu 8086
bits 16
org 0

%define VERSION_STR "1.0"

; --- info-block flags (patched by romtool; see selftest.py) --------------------------------
FLAG_DEBUGCON   equ 0x01        ; mirror every character to QEMU's debugcon port
FLAG_EXIT_INIT  equ 0x02        ; write EXIT_INIT to isa-debug-exit at the end of init
FLAG_EXIT_BEV   equ 0x04        ; write EXIT_BEV to isa-debug-exit in the BEV

; QEMU-only ports. Never enabled in a ROM for a real PC: 0x402 aliases the DMA controller on
; 10-bit ISA decoding and 0xF4 sits in the coprocessor range.
DEBUGCON_PORT   equ 0x402       ; QEMU isa-debugcon (SeaBIOS's log port)
DEBUG_EXIT_PORT equ 0xF4        ; QEMU isa-debug-exit: exit status = (value << 1) | 1
EXIT_INIT       equ 1           ; -> QEMU exit status 3
EXIT_BEV        equ 2           ; -> QEMU exit status 5

; --- BIOS data area (segment 0x40) ---------------------------------------------------------
BDA_SEG         equ 0x40
BDA_COM1        equ 0x00        ; word: I/O base of COM1, 0 if POST found none
BDA_TICKS       equ 0x6C        ; word: low half of the 18.2 Hz tick counter

; --- 8250/16550 UART registers (offsets from the base) -------------------------------------
UART_THR        equ 0           ; transmit holding register (DLAB=0)
UART_DLL        equ 0           ; divisor latch low (DLAB=1)
UART_DLM        equ 1           ; divisor latch high (DLAB=1)
UART_LCR        equ 3           ; line control
UART_LSR        equ 5           ; line status
LCR_DLAB        equ 0x80
LCR_8N1         equ 0x03
LSR_THRE        equ 0x20        ; transmit holding register empty
DIVISOR_9600    equ 12          ; 115200 / 9600
THRE_POLLS      equ 0xFFFF      ; give up on a character after this many polls (no UART)

; --- PCI BIOS (INT 1Ah) ---------------------------------------------------------------------
PCI_READ_WORD   equ 0xB109      ; read config word: BX = bus/devfn, DI = register -> CX
PCI_CFG_VENDOR  equ 0x00
PCI_CFG_DEVICE  equ 0x02

TICKS_PER_SEC   equ 18          ; BIOS timer runs at 18.2 Hz
BLOCK           equ 512         ; option-ROM size unit
BLOCK_PARAS     equ BLOCK / 16

; ===========================================================================================
; Option-ROM header
; ===========================================================================================
rom_start:
        db 0x55, 0xAA
size_byte:
        db 0                    ; 512-byte blocks: filled by romtool
        jmp near init           ; E9 rel16 at offset 3
checksum_byte:
        db 0                    ; offset 6: makes the 8-bit sum 0 (filled by romtool)
        times 0x10-($-$$) db 0
        dw 0                    ; 0x10: no iPXE header
        dw 0                    ; 0x12
        dw 0                    ; 0x14: no BOFM header
        dw 0                    ; 0x16: no UNDI ROM ID
pcir_ptr:
        dw pcir                 ; 0x18: PCIR (romtool sets 0 for an ISA build)
        dw pnp                  ; 0x1A: $PnP expansion header

pcir:                           ; PCI 3.0 data structure (0x1C bytes)
        db "PCIR"
pcir_vendor:
        dw 0                    ; filled by romtool
pcir_device:
        dw 0                    ; filled by romtool
        dw 0                    ; no device list
        dw pcir_end - pcir      ; structure length
        db 3                    ; structure revision (PCI 3.0)
        db 0x00, 0x00, 0x02     ; class code: prog-if 0, sub-class 0 (Ethernet), base 2 (network)
        dw 0                    ; image length in blocks: filled by romtool
        dw 1                    ; revision level of the code
        db 0                    ; code type: x86 PC-AT
        db 0x80                 ; indicator: last image
        dw 0                    ; maximum run-time length in blocks: filled by romtool
        dw 0                    ; no configuration utility
        dw 0                    ; no DMTF CLP entry
pcir_end:

        times 0x40-($-$$) db 0
pnp:                            ; PnP option-ROM expansion header (PnP BIOS spec 1.0A)
        db "$PnP"
        db 1                    ; revision
        db 2                    ; length in 16-byte units
        dw 0                    ; no next header
        db 0                    ; reserved
        db 0                    ; checksum over 32 bytes: filled by romtool
        dd 0                    ; device id
        dw str_mfg              ; manufacturer string
        dw str_product          ; product string
        db 0x02, 0x00, 0x00     ; device type: network, Ethernet
        db 0x04                 ; device indicators: IPL device (init runs whether or not
                                ; this ROM is the boot device)
        dw 0                    ; no BCV
        dw 0                    ; no disconnect vector
        dw bev                  ; boot entry vector
        dw 0                    ; reserved
        dw 0                    ; no static resource information

        times 0x60-($-$$) db 0
info:                           ; romtool info block (layout version 1), patched by romtool
        db "RTST"               ; +0 magic
        db 1                    ; +4 layout version
flags:  db 0                    ; +5 FLAG_* bits
pause_secs:
        db 10                   ; +6 seconds the BEV waits for a key (0: no wait)
        db 0                    ; +7 reserved
chip_blocks:
        dw 0                    ; +8 size of the whole chip in blocks (0: not recorded)
image_block:
        dw 0                    ; +A offset of this image in the chip, in blocks
        dd 0                    ; +C reserved

FILL_MAGIC_LEN  equ 6           ; romtool fills unused chip blocks with "RTFILL" + u16 index

str_mfg:        db "romtool", 0
str_product:    db "network boot ROM self-test", 0
str_banner:     db "romtool self-test ", VERSION_STR, 0
str_init:       db ": option ROM init", 13, 10, 0
str_bev:        db ": chosen as boot device (BEV)", 13, 10, 0
str_segment:    db "  segment ", 0
str_size:       db ", size ", 0
str_kib:        db " KiB, checksum ", 0
str_good:       db "good", 13, 10, 0
str_bad:        db "BAD (sum ", 0
str_close:      db ")", 13, 10, 0
str_isa:        db "  ISA build (no PCIR)", 13, 10, 0
str_pci:        db "  PCI ", 0
str_card:       db ", card ", 0
str_pcir:       db ", PCIR ", 0
str_match:      db ": match", 13, 10, 0
str_mismatch:   db ": MISMATCH", 13, 10, 0
str_nopcibios:  db ", no PCI BIOS answer", 13, 10, 0
str_pnp_yes:    db "  PnP BIOS: yes", 13, 10, 0
str_pnp_no:     db "  PnP BIOS: no", 13, 10, 0
str_chip:       db "  chip ", 0
str_at:         db " KiB, image at +", 0
str_chip_none:  db "  chip: size not recorded (build with --chip)", 13, 10, 0
str_chip_low:   db "  chip: window below segment 0, not checked", 13, 10, 0
str_all:        db " KiB: whole chip visible", 13, 10, 0
str_blk_at:     db " KiB: at +", 0
str_copy:       db " KiB a copy of +", 0
str_decodes:    db " KiB, the socket decodes ", 0
str_kib_only:   db " KiB only", 13, 10, 0
str_ff:         db " KiB reads FF: the window ends there", 13, 10, 0
str_other:      db " KiB holds other data", 13, 10, 0
str_return:     db "  returning to the BIOS", 0
str_key:        db "; press a key", 0
str_crlf:       db 13, 10, 0
str_fill:       db "RTFILL"

; ===========================================================================================
; init: far-called at offset 3 with AX = PCI bus/devfn, ES:DI -> PnP installation structure.
; Returns AX = 0x0020 (PnP: IPL device attached), every other register preserved.
; ===========================================================================================
init:
        pushf
        push ds
        push es
        push bx
        push cx
        push dx
        push si
        push di
        push bp
        mov bp, sp              ; [bp+0]=bp [bp+2]=di [bp+12]=es
        push ax                 ; [bp-2] = bus/devfn
        push cs
        pop ds
        cld

        call uart_setup
        mov si, str_banner
        call puts
        mov si, str_init
        call puts
        call report_rom
        call report_pci
        ; PnP BIOS: the BIOS passes ES:DI -> "$PnP" installation check structure
        mov es, [bp+12]
        mov di, [bp+2]
        mov si, str_pnp_no
        cmp word [es:di], '$P'
        jne .pnp_done
        cmp word [es:di+2], 'nP'
        jne .pnp_done
        mov si, str_pnp_yes
.pnp_done:
        call puts
        call report_chip

        test byte [flags], FLAG_EXIT_INIT
        jz .no_exit
        mov al, EXIT_INIT
        out DEBUG_EXIT_PORT, al
.no_exit:
        pop ax
        pop bp
        pop di
        pop si
        pop dx
        pop cx
        pop bx
        pop es
        pop ds
        popf
        mov ax, 0x0020
        retf

; ===========================================================================================
; bev: PnP boot entry vector. Says so, waits, returns to the BIOS.
; ===========================================================================================
bev:
        pushf
        push ds
        push es
        push ax
        push bx
        push cx
        push dx
        push si
        push di
        push bp
        push cs
        pop ds
        cld
        sti
        mov si, str_banner
        call puts
        mov si, str_bev
        call puts
        call report_rom
        test byte [flags], FLAG_EXIT_BEV
        jz .no_exit
        mov al, EXIT_BEV
        out DEBUG_EXIT_PORT, al
.no_exit:
        mov si, str_return
        call puts
        call pause
        mov si, str_crlf
        call puts
        pop bp
        pop di
        pop si
        pop dx
        pop cx
        pop bx
        pop ax
        pop es
        pop ds
        popf
        retf

; pause: wait up to [pause_secs] seconds for a key (BIOS tick counter), consume it.
pause:
        mov al, [pause_secs]
        or al, al
        jz .done
        mov si, str_key
        call puts
        mov ah, TICKS_PER_SEC
        mul ah                  ; AX = ticks to wait
        mov cx, ax
        push es
        mov ax, BDA_SEG
        mov es, ax
        mov dx, [es:BDA_TICKS]
.wait:
        mov ah, 0x01            ; INT 16h: key available? (ZF=0 if so)
        int 0x16
        jnz .key
        mov ax, [es:BDA_TICKS]
        sub ax, dx
        cmp ax, cx
        jb .wait
        jmp .out
.key:
        mov ah, 0x00            ; read the key so it does not leak into the next boot
        int 0x16
.out:
        pop es
.done:
        ret

; report_rom: "  segment XXXX, size N KiB, checksum good|BAD (sum XX)"
report_rom:
        mov si, str_segment
        call puts
        mov ax, cs
        call put_hex16
        mov si, str_size
        call puts
        mov al, [size_byte]
        xor ah, ah
        call put_kib            ; blocks -> KiB
        mov si, str_kib
        call puts
        ; 8-bit sum of size*512 bytes, walking the ROM a block (0x20 paragraphs) at a time
        xor bl, bl
        mov cl, [size_byte]
        xor ch, ch
        jcxz .summed
        push es
        mov ax, cs
        mov es, ax
.block:
        xor si, si
        mov dx, BLOCK
.byte:
        add bl, [es:si]
        inc si
        dec dx
        jnz .byte
        mov ax, es
        add ax, BLOCK_PARAS
        mov es, ax
        loop .block
        pop es
.summed:
        mov si, str_good
        or bl, bl
        jz .print
        mov si, str_bad
        call puts
        mov al, bl
        call put_hex8
        mov si, str_close
.print:
        jmp puts

; report_pci: bus/devfn from the BIOS, the card's ids from config space, the PCIR ids.
report_pci:
        mov bx, [pcir_ptr]
        or bx, bx
        jnz .pci
        mov si, str_isa
        jmp puts
.pci:
        mov si, str_pci
        call puts
        mov ax, [bp-2]          ; bus in AH, device<<3 | function in AL
        push ax
        mov al, ah
        call put_hex8
        mov al, ':'
        call putc
        pop ax
        push ax
        mov cl, 3
        shr al, cl
        call put_hex8
        mov al, '.'
        call putc
        pop ax
        and al, 7
        add al, '0'
        call putc
        mov si, str_card
        call puts
        mov bx, [bp-2]
        mov di, PCI_CFG_VENDOR
        call pci_word
        jc .nobios
        push cx
        mov di, PCI_CFG_DEVICE
        call pci_word
        pop ax                  ; AX = card vendor, CX = card device
        jc .nobios
        push cx
        push ax
        call put_id             ; AX:CX
        mov si, str_pcir
        call puts
        mov ax, [pcir_vendor]
        mov cx, [pcir_device]
        call put_id
        pop ax
        pop cx
        mov si, str_match
        cmp ax, [pcir_vendor]
        jne .mismatch
        cmp cx, [pcir_device]
        je .said
.mismatch:
        mov si, str_mismatch
.said:
        jmp puts
.nobios:
        mov si, str_nopcibios
        jmp puts

; pci_word: read config word DI of BX=bus/devfn into CX; CF set on failure.
pci_word:
        push bx
        push di
        mov ax, PCI_READ_WORD
        int 0x1A
        pop di
        pop bx
        jc .fail
        or ah, ah               ; AH = 0 means success
        jz .ok
.fail:
        stc
        ret
.ok:
        clc
        ret

; put_id: print AX:CX as "VVVV:DDDD".
put_id:
        call put_hex16
        mov al, ':'
        call putc
        mov ax, cx
        jmp put_hex16

; report_chip: classify every 512-byte block of the chip as romtool laid it out.
; The build fills the blocks outside the image with "RTFILL" + u16 block index, so the code
; can tell a visible block (its own index), an alias (another index, or the image's own
; header), a window that has ended (all FF) and foreign data.
report_chip:
        mov cx, [chip_blocks]
        or cx, cx
        jnz .known
        mov si, str_chip_none
        jmp puts
.known:
        mov ax, [image_block]
        mov bx, ax
        push cx
        mov cl, 5               ; blocks -> paragraphs (* 32)
        shl bx, cl
        pop cx
        mov dx, cs
        sub dx, bx              ; DX = segment where the chip window starts
        jnc .base_ok
        mov si, str_chip_low
        jmp puts
.base_ok:
        mov si, str_chip
        call puts
        push ax
        mov ax, cx
        call put_kib
        mov si, str_at
        call puts
        pop ax
        call put_kib            ; image offset
        push es
        xor bx, bx              ; BX = block index
.next:
        cmp bx, cx
        jae .all_visible
        ; skip the image's own blocks
        mov ax, [image_block]
        cmp bx, ax
        jb .check
        add al, [size_byte]
        adc ah, 0
        cmp bx, ax
        jb .advance
.check:
        mov es, dx
        call classify           ; -> AX = kind, DI = shown block
        cmp ax, 1
        jne .anomaly
.advance:
        add dx, BLOCK_PARAS
        jc .all_visible         ; ran past the top of the 1 MiB space
        inc bx
        jmp .next
.all_visible:
        pop es
        mov si, str_all
        jmp puts
.anomaly:
        pop es
        push ax
        mov si, str_blk_at
        call puts
        mov ax, bx
        call put_kib
        pop ax
        cmp ax, 2
        je .alias
        mov si, str_ff
        cmp ax, 3
        je .say
        mov si, str_other
.say:
        jmp puts
.alias:
        mov si, str_copy
        call puts
        mov ax, di
        call put_kib
        mov si, str_decodes
        call puts
        mov ax, bx
        sub ax, di
        call put_kib
        mov si, str_kib_only
        jmp puts

; classify: look at the block at ES:0 that should be chip block BX.
; Returns AX = 1 visible, 2 alias of block DI, 3 all FF, 4 other.
classify:
        push cx
        push si
        ; a fill marker?
        mov si, str_fill
        xor di, di
        mov cx, FILL_MAGIC_LEN
        repe cmpsb              ; DS:SI vs ES:DI
        jne .not_fill
        mov di, [es:FILL_MAGIC_LEN]
        mov ax, 1
        cmp di, bx
        je .done
        mov ax, 2
        jmp .done
.not_fill:
        ; the image's own header (55 AA + info magic)?
        cmp word [es:0], 0xAA55
        jne .not_image
        mov ax, [es:info]
        cmp ax, [info]
        jne .not_image
        mov ax, [es:info+2]
        cmp ax, [info+2]
        jne .not_image
        mov di, [image_block]
        mov ax, 2
        jmp .done
.not_image:
        xor di, di
        mov cx, 16
.ff:
        cmp byte [es:di], 0xFF
        jne .other
        inc di
        loop .ff
        mov ax, 3
        jmp .done
.other:
        mov ax, 4
.done:
        pop si
        pop cx
        ret

; ===========================================================================================
; output
; ===========================================================================================

; uart_setup: program COM1 for 9600 8N1 only if its divisor latch is still 0 (POST left the
; UART unprogrammed); a BIOS console redirection keeps its own settings.
uart_setup:
        push es
        mov ax, BDA_SEG
        mov es, ax
        mov dx, [es:BDA_COM1]
        pop es
        or dx, dx
        jz .done
        add dx, UART_LCR
        in al, dx
        mov ah, al              ; AH = old LCR
        or al, LCR_DLAB
        out dx, al
        sub dx, UART_LCR - UART_DLL
        in al, dx
        mov cl, al
        inc dx                  ; DLM
        in al, dx
        or al, cl
        jnz .keep
        mov al, DIVISOR_9600 >> 8
        out dx, al
        dec dx
        mov al, DIVISOR_9600 & 0xFF
        out dx, al
        add dx, UART_LCR - UART_DLL
        mov al, LCR_8N1
        out dx, al
        ret
.keep:
        add dx, UART_LCR - UART_DLM
        mov al, ah
        out dx, al
.done:
        ret

; puts: print the NUL-terminated string at DS:SI.
puts:
        push ax
.loop:
        lodsb
        or al, al
        jz .done
        call putc
        jmp .loop
.done:
        pop ax
        ret

; putc: print AL on the screen (INT 10h teletype), COM1 and, if enabled, QEMU's debugcon.
putc:
        push ax
        push bx
        push cx
        push dx
        push si
        push di
        push bp                 ; some BIOSes clobber BP/SI/DI in INT 10h when scrolling
        push es
        mov cl, al
        mov ah, 0x0E
        mov bx, 0x0007
        int 0x10
        mov ax, BDA_SEG
        mov es, ax
        mov dx, [es:BDA_COM1]
        or dx, dx
        jz .no_com
        add dx, UART_LSR
        mov bx, THRE_POLLS
.thre:
        in al, dx
        test al, LSR_THRE
        jnz .send
        dec bx
        jnz .thre
        jmp .no_com             ; UART stuck: drop the character rather than hang POST
.send:
        sub dx, UART_LSR - UART_THR
        mov al, cl
        out dx, al
.no_com:
        test byte [cs:flags], FLAG_DEBUGCON
        jz .done
        mov dx, DEBUGCON_PORT
        mov al, cl
        out dx, al
.done:
        pop es
        pop bp
        pop di
        pop si
        pop dx
        pop cx
        pop bx
        pop ax
        ret

; put_kib: print AX blocks of 512 bytes as KiB ("8", "7.5").
put_kib:
        push ax
        shr ax, 1
        pushf
        call put_dec
        popf
        jnc .whole
        mov al, '.'
        call putc
        mov al, '5'
        call putc
.whole:
        pop ax
        ret

; put_dec: print AX in decimal.
put_dec:
        push ax
        push bx
        push cx
        push dx
        mov bx, 10
        xor cx, cx
.div:
        xor dx, dx
        div bx
        push dx
        inc cx
        or ax, ax
        jnz .div
.out:
        pop ax
        add al, '0'
        call putc
        loop .out
        pop dx
        pop cx
        pop bx
        pop ax
        ret

; put_hex16 / put_hex8 / put_nibble: print AX / AL / low nibble of AL in upper-case hex.
put_hex16:
        push ax
        mov al, ah
        call put_hex8
        pop ax
put_hex8:
        push ax
        push cx
        mov cl, 4
        push ax
        shr al, cl
        call put_nibble
        pop ax
        call put_nibble
        pop cx
        pop ax
        ret
put_nibble:
        push ax
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe .digit
        add al, 'A' - '9' - 1
.digit:
        call putc
        pop ax
        ret

        ; pad to whole 512-byte blocks; romtool sets the size byte and checksums
        times (BLOCK - ($ - $$) % BLOCK) % BLOCK db 0xFF
