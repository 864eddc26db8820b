/* Everything rdkafka_performance.c needs from rdtime.h is in src/rd.h. */
