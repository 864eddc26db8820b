/* rdkafka_performance.c includes "rd.h" and "rdtime.h" from the librdkafka source tree. */
#include "src/rd.h"
