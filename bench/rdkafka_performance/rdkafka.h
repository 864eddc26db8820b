/* The example includes "rdkafka.h" as inside the librdkafka tree; use the installed header. */
#include <librdkafka/rdkafka.h>
