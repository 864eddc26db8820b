/* Stand-in for librdkafka's internal src/rd.h, which Debian does not ship: just what the rdkafka_performance.c
 * example from librdkafka-dev uses, so `make bench` can build it against the installed librdkafka. */
#ifndef KO_RD_SHIM_H
#define KO_RD_SHIM_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>
typedef int64_t rd_ts_t;
#define rd_snprintf snprintf
#define RD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RD_MAX(a, b) ((a) > (b) ? (a) : (b))
static __inline rd_ts_t rd_clock(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((rd_ts_t)ts.tv_sec * 1000000LLU) + ((rd_ts_t)ts.tv_nsec / 1000);
}
#endif
