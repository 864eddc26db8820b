"""Patches librdkafka's rdkafka_performance example so that `-r <rate>` keeps an absolute schedule and sleeps.

Its limiter polls with a timeout of (time to the next message) rounded down to milliseconds, so at the 20 µs per
message that 50 MB/s of 1 KiB records needs it spins in rd_kafka_poll(rk, 0): one CPU of the two this machine has,
taken from the brokers under test, and each gap measured from the previous produce call, so it carried only 39-44 of
the 50 MB/s asked. Patched, message n is due at start + n * interval, and the producer sleeps in rd_kafka_poll only
when it is at least a millisecond ahead (librdkafka's linger.ms batches the burst as it would anyway).

Usage: rkp_rate_patch.py SOURCE OUTPUT. Fails when the example's limiter is not the one this was written against.
"""
import sys

src = open(sys.argv[1]).read()
old = """                        if (rate_sleep) {
                                rd_ts_t next = rd_clock() + (rd_ts_t)rate_sleep;
                                do {
                                        rd_kafka_poll(
                                            rk,
                                            (int)RD_MAX(0, (next - rd_clock()) /
                                                               1000));
                                } while (next > rd_clock());
                        }"""
new = """                        if (rate_sleep) {
                                /* KafkaOperator bench: absolute schedule, slept in whole milliseconds */
                                static rd_ts_t rate_t0;
                                rd_ts_t ahead;
                                if (!rate_t0)
                                        rate_t0 = rd_clock();
                                ahead = rate_t0 + (rd_ts_t)((double)cnt.msgs * 1e6 / rate_per_s) - rd_clock();
                                if (ahead >= 1000)
                                        rd_kafka_poll(rk, (int)(ahead / 1000));
                                else if (cnt.msgs % 1000 == 0)
                                        rd_kafka_poll(rk, 0);
                        }"""
# The exact rate: rate_sleep is whole microseconds (20 for 48,828/s would be 50,000/s).
old_rate = "                        rate_sleep = (int)(1000000.0 / dtmp);"
new_rate = old_rate + "\n                        rate_per_s = dtmp;"
old_decl = "static void do_sleep(int sleep_us) {"
new_decl = "static double rate_per_s; /* KafkaOperator bench: -r as given */\n" + old_decl
for a in (old, old_rate, old_decl):
    if src.count(a) != 1:
        sys.exit("rkp_rate_patch.py: rdkafka_performance.c is not the version this patch expects; not patched")
open(sys.argv[2], "w").write(src.replace(old, new).replace(old_rate, new_rate).replace(old_decl, new_decl))
