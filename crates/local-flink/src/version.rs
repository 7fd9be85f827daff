//! The Flink lines the harness supports and their exact versions (no IO).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A supported Flink line, pinned to one exact release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlinkVersion {
    /// The 1.20 LTS line (1.20.5).
    V1_20,
    /// The 2.x line (2.3.0).
    V2,
}

impl FlinkVersion {
    /// Every supported line, oldest first.
    pub const ALL: [FlinkVersion; 2] = [FlinkVersion::V1_20, FlinkVersion::V2];

    /// The exact release, as PyPI and the jar names spell it (`1.20.5`, `2.3.0`).
    pub fn exact(self) -> &'static str {
        match self {
            FlinkVersion::V1_20 => "1.20.5",
            FlinkVersion::V2 => "2.3.0",
        }
    }

    /// The line's short name (`1.20`, `2.x`), as the CLI flags take it.
    pub fn line(self) -> &'static str {
        match self {
            FlinkVersion::V1_20 => "1.20",
            FlinkVersion::V2 => "2.x",
        }
    }

    /// The major version (1 or 2).
    pub fn major(self) -> u32 {
        match self {
            FlinkVersion::V1_20 => 1,
            FlinkVersion::V2 => 2,
        }
    }

    /// The JVM options Flink's own `conf/config.yaml` ships for Java 17 (`env.java.opts.all`).
    /// 1.20 opens one package more than 2.x.
    pub fn java_opts(self) -> String {
        let mut opts: Vec<&str> = Vec::new();
        if self == FlinkVersion::V1_20 {
            opts.push("--add-exports=java.base/sun.net.util=ALL-UNNAMED");
        }
        opts.extend([
            "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED",
            "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
        ]);
        opts.join(" ")
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.exact())
    }
}

impl FromStr for FlinkVersion {
    type Err = Error;

    /// Accepts the line (`1.20`, `2.x`, `2`) or the exact release (`1.20.5`, `2.3.0`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "1.20" | "1.20.x" | "1.20.5" => Ok(FlinkVersion::V1_20),
            "2" | "2.x" | "2.3" | "2.3.0" => Ok(FlinkVersion::V2),
            other => Err(Error::UnknownVersion(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_exact_versions_parse() {
        for v in FlinkVersion::ALL {
            assert_eq!(v.line().parse::<FlinkVersion>().expect("line"), v);
            assert_eq!(v.exact().parse::<FlinkVersion>().expect("exact"), v);
        }
        assert!("1.19".parse::<FlinkVersion>().is_err());
    }

    #[test]
    fn java_opts_differ_by_one_export() {
        let old = FlinkVersion::V1_20.java_opts();
        let new = FlinkVersion::V2.java_opts();
        assert!(old.contains("sun.net.util") && !new.contains("sun.net.util"));
        assert_eq!(old.split(' ').count(), new.split(' ').count() + 1);
    }
}
