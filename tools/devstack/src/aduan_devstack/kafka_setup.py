"""Fetch Apache Kafka's broker jars from Maven Central (via `mvn`) into the local cache."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from aduan_devstack.paths import cache_dir, file_lock
from aduan_devstack.process import InfraError, log

KAFKA_VERSION = "4.4.0"
"""Newest Kafka 4.x in Maven Central when this was written (4.4.1 / 4.5.0 do not exist yet)."""
SCALA_VERSION = "2.13"
MIN_JAVA = 17

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>aduan.devstack</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{kafka}</version>
    </dependency>{binding}
  </dependencies>
</project>
"""

_BINDING = """
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>"""


def java_binary() -> str:
    """Path of a `java` >= 17, or InfraError saying how to get one."""
    java = shutil.which("java")
    if java is None:
        raise InfraError(
            f"java not found: install a JDK {MIN_JAVA}+ (apt-get install openjdk-17-jre-headless)"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_..." style
            major = int(match.group(2))
        if major < MIN_JAVA:
            raise InfraError(
                f"java {major} found at {java}, Kafka 4 needs {MIN_JAVA}+: "
                "apt-get install openjdk-17-jre-headless"
            )
    return java


def kafka_home(version: str = KAFKA_VERSION) -> Path:
    """`<cache>/kafka-<version>`; its `libs/` holds the broker classpath once set up."""
    return cache_dir() / f"kafka-{version}"


def kafka_libs_ready(version: str = KAFKA_VERSION) -> bool:
    return (kafka_home(version) / "libs" / ".complete").is_file()


def _mvn(pom_dir: Path, *goals: str) -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError(
            "maven (mvn) not found: needed once to fetch the Kafka jars from Maven Central "
            "(apt-get install maven)"
        )
    cmd = [mvn, "-B", "-q", "-f", str(pom_dir / "pom.xml"), *goals]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        output = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise InfraError(f"mvn {' '.join(goals)} failed (is Maven Central reachable?):\n{output}")
    return proc.stdout


def _log4j_core_version(work: Path, version: str) -> str:
    """The log4j-core version Kafka pulls in (its SLF4J 1.7 binding must match it)."""
    (work / "pom.xml").write_text(_POM.format(scala=SCALA_VERSION, kafka=version, binding=""))
    listing = work / "deps.txt"
    _mvn(work, "dependency:list", "-DincludeScope=runtime", f"-DoutputFile={listing}")
    match = re.search(r"org\.apache\.logging\.log4j:log4j-core:jar:([^:\s]+)", listing.read_text())
    if match is None:
        raise InfraError(f"kafka {version} pulls in no log4j-core: cannot pick the SLF4J binding")
    return match.group(1)


def ensure_kafka_libs(version: str = KAFKA_VERSION) -> Path:
    """Download the broker jars once (idempotent, cached); returns the `libs` directory."""
    home = kafka_home(version)
    libs = home / "libs"
    if kafka_libs_ready(version):
        return libs
    with file_lock(home.parent / f".kafka-{version}.lock"):
        if kafka_libs_ready(version):
            return libs
        log(f"fetching Apache Kafka {version} jars from Maven Central with mvn (once) ...")
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=home, prefix="setup-") as tmp:
            work = Path(tmp)
            log4j = _log4j_core_version(work, version)
            binding = _BINDING.format(log4j=log4j)
            pom = _POM.format(scala=SCALA_VERSION, kafka=version, binding=binding)
            (work / "pom.xml").write_text(pom)
            staged = work / "libs"
            _mvn(
                work,
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staged}",
            )
            jars = sorted(p.name for p in staged.glob("*.jar"))
            if f"kafka_{SCALA_VERSION}-{version}.jar" not in jars:
                raise InfraError(f"mvn copied no kafka_{SCALA_VERSION}-{version}.jar to {staged}")
            (staged / ".complete").write_text(f"kafka {version}, log4j {log4j}\n")
            shutil.copy(work / "pom.xml", home / "pom.xml")
            if libs.exists():
                shutil.rmtree(libs)
            staged.rename(libs)
        log(f"Kafka {version}: {len(jars)} jars cached in {libs} (log4j binding {log4j})")
    return libs
