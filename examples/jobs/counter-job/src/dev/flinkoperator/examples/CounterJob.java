package dev.flinkoperator.examples;

import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * A small stateful streaming job for tests: it generates events for {@code --keys} keys at
 * {@code --rate} events per second, counts them per key in keyed {@link ValueState}, and
 * makes the counts observable from outside:
 *
 * <ul>
 *   <li>a gauge {@code count_<key>} per key on the counting operator (read through REST at
 *       {@code /jobs/<jid>/vertices/<vid>/metrics?get=<subtask>.<operator>.count_<key>});
 *   <li>a line {@code <key>=<count>} per event on stdout (the TaskManager's console).
 * </ul>
 *
 * <p>A job resumed from a savepoint continues the counts instead of starting at zero. Every
 * operator has a {@code uid}, so state maps across versions and job graphs.
 *
 * <p>Arguments: {@code --keys N} (default 4), {@code --rate R} (default 20),
 * {@code --checkpoint-interval-ms MS} (default 10000, 0 = off), {@code --fail-on-start}
 * (throw in {@code main} before the job is built), {@code --fail-in-task} (throw when the
 * counting operator opens, so the job keeps failing at run time).
 *
 * <p>Uses only the new Source API ({@code SourceFunction} is gone in Flink 2.x), so the same
 * source compiles for Flink 1.20 and 2.x.
 */
public final class CounterJob {
    private CounterJob() {}

    public static void main(String[] args) throws Exception {
        int keys = 4;
        double rate = 20;
        long checkpointIntervalMs = 10_000;
        boolean failOnStart = false;
        boolean failInTask = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keys":
                    keys = Integer.parseInt(value(args, ++i));
                    break;
                case "--rate":
                    rate = Double.parseDouble(value(args, ++i));
                    break;
                case "--checkpoint-interval-ms":
                    checkpointIntervalMs = Long.parseLong(value(args, ++i));
                    break;
                case "--fail-on-start":
                    failOnStart = true;
                    break;
                case "--fail-in-task":
                    failInTask = true;
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (known: --keys N --rate R --checkpoint-interval-ms MS --fail-on-start --fail-in-task)");
            }
        }
        if (failOnStart) {
            throw new IllegalStateException("CounterJob was asked to fail on start (--fail-on-start)");
        }
        if (keys < 1 || rate <= 0) {
            throw new IllegalArgumentException("--keys must be >= 1 and --rate > 0");
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (checkpointIntervalMs > 0) {
            env.enableCheckpointing(checkpointIntervalMs);
        }

        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                index -> index, Long.MAX_VALUE, RateLimiterStrategy.perSecond(rate), Types.LONG);
        final int keyCount = keys;
        final boolean fail = failInTask;
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "events")
                .uid("events")
                .map((MapFunction<Long, String>) index -> "k" + (index % keyCount))
                .returns(Types.STRING)
                .name("to-key")
                .uid("to-key")
                .keyBy(key -> key)
                .process(new CountPerKey(fail))
                .name("count-per-key")
                .uid("count-per-key")
                .print()
                .name("print")
                .uid("print");

        env.execute("counter-job");
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** Counts events per key in keyed state and publishes each count as a gauge. */
    static final class CountPerKey extends KeyedProcessFunction<String, String, String> {
        private static final long serialVersionUID = 1L;

        private final boolean failInTask;
        private transient ValueState<Long> count;
        /** The latest count of each key this subtask saw, for the gauges. */
        private transient Map<String, Long> latest;

        CountPerKey(boolean failInTask) {
            this.failInTask = failInTask;
        }

        // Not annotated with @Override: 1.20 calls open(Configuration), 2.x open(OpenContext);
        // state is set up lazily instead so one source compiles against both.
        private void setUp() {
            if (failInTask) {
                throw new IllegalStateException("CounterJob was asked to fail in its task (--fail-in-task)");
            }
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            latest = new HashMap<>();
        }

        @Override
        public void processElement(String key, Context ctx, Collector<String> out) throws Exception {
            if (count == null) {
                setUp();
            }
            Long previous = count.value();
            long next = (previous == null ? 0L : previous) + 1;
            count.update(next);
            if (!latest.containsKey(key)) {
                getRuntimeContext().getMetricGroup().gauge("count_" + key, (Gauge<Long>) () -> latest.get(key));
            }
            latest.put(key, next);
            out.collect(key + "=" + next);
        }
    }
}
