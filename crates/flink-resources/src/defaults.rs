//! Defaults shipped with the Flink distribution that our generated configuration replaces
//! (no IO): the Java 17 module flags and the console log configuration.
//!
//! The operator's ConfigMap replaces the image's `conf/` directory, so whatever the
//! distribution's own `config.yaml` carried must come from here.

use flink_crd::FlinkVersion;

/// Flink configuration key the Java 17 flags are written under. Flink's scripts (1.19 and
/// later) prepend `env.java.default-opts.all` to `env.java.opts.all`, so a user's own
/// `env.java.opts.all` adds to these flags instead of silently dropping them.
pub const JAVA_DEFAULT_OPTS_KEY: &str = "env.java.default-opts.all";

/// The `env.java.opts.all` value of the `conf/config.yaml` shipped with Flink 1.20.x and 2.0.x
/// (checked against the 1.20.5 and 2.0.0 distributions).
pub const JAVA17_OPTS_1_20: &str = "--add-exports=java.base/sun.net.util=ALL-UNNAMED \
--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED \
--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED \
--add-opens=java.base/java.lang=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED \
--add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
--add-opens=java.base/java.text=ALL-UNNAMED \
--add-opens=java.base/java.time=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED";

/// The `env.java.opts.all` value of the `conf/config.yaml` shipped with Flink 2.1 and later
/// (checked against 2.1.0, 2.2.0 and 2.3.0): the 1.20 list without `sun.net.util`.
pub const JAVA17_OPTS_2_1: &str = "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED \
--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED \
--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED \
--add-opens=java.base/java.lang=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED \
--add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
--add-opens=java.base/java.text=ALL-UNNAMED \
--add-opens=java.base/java.time=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED";

/// The Java 17 module flags the distribution of `version` ships with.
pub fn java17_opts(version: FlinkVersion) -> &'static str {
    if version >= FlinkVersion::V2_1 {
        JAVA17_OPTS_2_1
    } else {
        JAVA17_OPTS_1_20
    }
}

/// The log configuration file Flink's foreground scripts read.
pub const LOG4J_CONSOLE: &str = "log4j-console.properties";

/// Our default `log4j-console.properties`: everything to the console (so `kubectl logs` shows
/// it) and to a rolling file at `${sys:log.file}` under `/opt/flink/log` (so the web UI's log
/// tab works), as the official image does. `ROOT_LOG_LEVEL` (env) changes the level.
pub const DEFAULT_LOG4J_CONSOLE: &str = "\
# Written by flink-operator-rs; set spec.logConfiguration.\"log4j-console.properties\" to replace it.
monitorInterval = 30
rootLogger.level = ${env:ROOT_LOG_LEVEL:-INFO}
rootLogger.appenderRef.console.ref = ConsoleAppender
rootLogger.appenderRef.rolling.ref = RollingFileAppender

# Chatty libraries at INFO even when the root level is lower.
logger.pekko.name = org.apache.pekko
logger.pekko.level = INFO
logger.kafka.name = org.apache.kafka
logger.kafka.level = INFO
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = INFO
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = INFO
logger.shaded_zookeeper.name = org.apache.flink.shaded.zookeeper3
logger.shaded_zookeeper.level = INFO
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF

appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n

appender.rolling.name = RollingFileAppender
appender.rolling.type = RollingFile
appender.rolling.append = true
appender.rolling.fileName = ${sys:log.file}
appender.rolling.filePattern = ${sys:log.file}.%i
appender.rolling.layout.type = PatternLayout
appender.rolling.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
appender.rolling.policies.type = Policies
appender.rolling.policies.size.type = SizeBasedTriggeringPolicy
appender.rolling.policies.size.size = 100MB
appender.rolling.policies.startup.type = OnStartupTriggeringPolicy
appender.rolling.strategy.type = DefaultRolloverStrategy
appender.rolling.strategy.max = ${env:MAX_LOG_FILE_NUMBER:-10}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_1_20_and_2_0_export_sun_net_util() {
        assert!(java17_opts(FlinkVersion::V1_20).contains("sun.net.util"));
        assert!(java17_opts(FlinkVersion::V2_0).contains("sun.net.util"));
        for v in [FlinkVersion::V2_1, FlinkVersion::V2_2, FlinkVersion::V2_3] {
            assert!(!java17_opts(v).contains("sun.net.util"), "{v}");
        }
        assert_eq!(
            JAVA17_OPTS_1_20.split(' ').count(),
            JAVA17_OPTS_2_1.split(' ').count() + 1
        );
        assert!(!JAVA17_OPTS_1_20.contains("  "));
    }
}
