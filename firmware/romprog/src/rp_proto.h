/*
 * romprog protocol version 1: the numbers of firmware/PROTOCOL.md.
 *
 * Section numbers in the comments refer to that document. All multi-byte fields on the wire
 * are little-endian; use rp_get/put helpers in rp_core.c, never struct overlays.
 */
#ifndef RP_PROTO_H
#define RP_PROTO_H

#include <stdint.h>

#define RP_PROTO_VERSION 1u
#define RP_MAGIC 0x47525052ul /* "RPRG" in memory order (section 6.1) */
#define RP_HEADER_SIZE 8u     /* ver, type, seq u16, cmd, status, len u16 (section 2) */
#define RP_CRC_SIZE 4u
#define RP_MIN_FRAME (RP_HEADER_SIZE + RP_CRC_SIZE)
#define RP_DATA_HEADER 4u /* offset u32 in front of DATA bytes */
#define RP_NO_ADDRESS 0xFFFFFFFFul
#define RP_PROFILE_SIZE 40u
#define RP_LIMITS_SIZE 32u

/* Frame types (section 2, "Frame types"). */
enum rp_type {
    RP_REQ = 1,
    RP_RSP = 2,
    RP_DATA = 3,
    RP_ACK = 4,
    RP_NAK = 5,
    RP_EVT = 6,
    RP_LOG = 7,
};

/* Commands (section 6). */
enum rp_cmd {
    RP_CMD_HELLO = 0x01,
    RP_CMD_SET_BAUD = 0x02,
    RP_CMD_PING = 0x03,
    RP_CMD_BYE = 0x04,
    RP_CMD_ABORT = 0x05,
    RP_CMD_SET_PROFILE = 0x10,
    RP_CMD_IDENTIFY = 0x11,
    RP_CMD_READ = 0x12,
    RP_CMD_CRC = 0x13,
    RP_CMD_BLANK_CHECK = 0x14,
    RP_CMD_BLOCK_INFO = 0x15,
    RP_CMD_CAN_PROGRAM = 0x16,
    RP_CMD_WRITE_BEGIN = 0x17,
    RP_CMD_WRITE_END = 0x18,
    RP_CMD_ERASE = 0x19,
    RP_CMD_SIM_UV_ERASE = 0xF0, /* simulated boards only (capability SIM_UV) */
};

/* Status codes (section 8). */
enum rp_status {
    RP_OK = 0,
    RP_UNKNOWN_CMD = 1,
    RP_BAD_ARG = 2,
    RP_BAD_PROFILE = 3,
    RP_NO_PROFILE = 4,
    RP_BAD_RANGE = 5,
    RP_PROGRAM_FAIL = 6,
    RP_ERASE_FAIL = 7,
    RP_VPP_FAULT = 8,
    RP_OVERCURRENT = 9,
    RP_TIMEOUT = 10,
    RP_DATA_CRC = 11,
    RP_WATCHDOG = 12,
    RP_ABORTED = 13,
    RP_UNSUPPORTED = 14,
    RP_NO_STREAM = 15,
};

/* Capability bits in HELLO (section 4). */
enum rp_cap {
    RP_CAP_VPP = 1ul << 0,
    RP_CAP_A9_ID = 1ul << 1,
    RP_CAP_SOFTWARE_ID = 1ul << 2,
    RP_CAP_ERASE = 1ul << 3,
    RP_CAP_DEVICE_CRC = 1ul << 4,
    RP_CAP_BLANK_CHECK = 1ul << 5,
    RP_CAP_CAN_PROGRAM = 1ul << 6,
    RP_CAP_SET_BAUD = 1ul << 7,
    RP_CAP_PAGE_WRITE = 1ul << 8,
    RP_CAP_SIM_UV = 1ul << 9,
};

/* Algorithm ids of the chip profile (section 7). */
enum rp_algorithm {
    RP_ALG_EPROM_QUICKPULSE = 1,
    RP_ALG_EPROM_STANDARD = 2,
    RP_ALG_EEPROM_BYTE = 3,
    RP_ALG_EEPROM_PAGE = 4,
    RP_ALG_JEDEC_BYTE = 5,
    RP_ALG_AT29_PAGE = 6,
    RP_ALG_LAST = 6,
};

enum rp_id_method { RP_ID_NONE = 0, RP_ID_SOFTWARE = 1, RP_ID_A9 = 2 };
enum rp_erase_mode { RP_ERASE_CHIP = 0, RP_ERASE_SECTOR = 1 };
enum rp_evt_kind { RP_EVT_PROGRESS = 1, RP_EVT_WATCHDOG = 2, RP_EVT_OVERCURRENT = 3 };
enum rp_profile_flag {
    RP_FLAG_ELECTRIC_ERASE = 1u << 0,
    RP_FLAG_UV_ERASE = 1u << 1,
    RP_FLAG_OE_VPP_SHARED = 1u << 2, /* 28-pin 27C512: VPP off before every verify read */
};

/* The chip profile (section 7), decoded. Units are in the field names. */
struct rp_profile {
    uint32_t size;
    uint8_t algorithm;
    uint8_t pins;
    uint16_t page;
    uint32_t sector;
    uint16_t pulse_us;
    uint8_t max_pulses;
    uint8_t overprogram;
    uint32_t write_us;
    uint16_t tblc_us;
    uint32_t erase_ms;
    uint16_t vpp_mv;
    uint16_t vcc_prog_mv;
    uint16_t vcc_verify_mv;
    uint8_t id_method;
    uint8_t sdp;
    uint8_t flags;
};

#endif
