/* dr_crc32.c: CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), table built once. */
#include "dr_hash.h"

static uint32_t table[256];
static int table_ready;

static void build(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    table_ready = 1;
}

uint32_t dr_crc32(uint32_t crc, const void *data, size_t n)
{
    const unsigned char *p = data;
    if (!table_ready)
        build();
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
