package dev.lanyard.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Launches a real JVM subprocess, optionally with {@code -javaagent}, a given environment and
 * under another uid (so that the SPIRE Agent's unix attestor gives it its own identity).
 * Output goes to a log file in a temp dir; the inherited {@code JAVA_TOOL_OPTIONS} and every
 * {@code LANYARD_*} variable of the test JVM are removed so each child gets exactly what the test
 * says.
 */
public final class JvmProcess implements AutoCloseable {
  private final ManagedProcess process;
  private final TempDir dir;

  private JvmProcess(ManagedProcess process, TempDir dir) {
    this.process = process;
    this.dir = dir;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String output() {
    return process.output();
  }

  public Path log() {
    return process.log();
  }

  public Matcher awaitOutput(Pattern pattern, Duration timeout) {
    return process.awaitOutput(pattern, timeout);
  }

  public Matcher awaitOutput(String regex, Duration timeout) {
    return process.awaitOutput(Pattern.compile(regex), timeout);
  }

  public int awaitExit(Duration timeout) {
    return process.awaitExit(timeout);
  }

  public int stop() {
    return process.stop(Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    process.close();
    dir.close();
  }

  @Override
  public String toString() {
    return process.toString();
  }

  /** Builder for one JVM launch. */
  public static final class Builder {
    private final String name;
    private Path javaHome = Path.of(System.getProperty("java.home"));
    private Path javaagent;
    private String agentArgs;
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> classpath = new ArrayList<>();
    private String mainClass;
    private Path jar;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private int uid = -1;
    private int gid = -1;

    private Builder(String name) {
      this.name = name;
    }

    /** Which JDK runs the child (default: the one running the test). */
    public Builder javaHome(Path javaHome) {
      this.javaHome = javaHome;
      return this;
    }

    public Builder javaagent(Path agentJar) {
      this.javaagent = agentJar;
      return this;
    }

    public Builder javaagent(Path agentJar, String agentArgs) {
      this.javaagent = agentJar;
      this.agentArgs = agentArgs;
      return this;
    }

    public Builder jvmArg(String... values) {
      jvmArgs.addAll(List.of(values));
      return this;
    }

    public Builder classpath(Path... entries) {
      for (Path entry : entries) {
        classpath.add(entry.toString());
      }
      return this;
    }

    /** Adds a classpath string as printed by the build (entries separated by ':'). */
    public Builder classpath(String entries) {
      classpath.add(entries);
      return this;
    }

    public Builder mainClass(String mainClass) {
      this.mainClass = mainClass;
      return this;
    }

    public Builder jar(Path jar) {
      this.jar = jar;
      return this;
    }

    public Builder args(String... values) {
      args.addAll(List.of(values));
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder env(Map<String, String> values) {
      env.putAll(values);
      return this;
    }

    /** Runs the JVM as this uid (and gid) via setpriv; the test must run as root to use another. */
    public Builder uid(int uid) {
      this.uid = uid;
      return this;
    }

    /**
     * Runs the JVM as root with this gid (no supplementary groups), so the SPIRE Agent's unix
     * attestor tells it apart by {@code unix:gid} while it can still read root's files (the
     * Maven repository under a 0700 home).
     */
    public Builder gid(int gid) {
      this.gid = gid;
      return this;
    }

    /** The command line, for tests that want to show or time it. */
    public List<String> command() {
      List<String> command = new ArrayList<>();
      Path java = javaHome.resolve("bin").resolve("java");
      if (!Files.isExecutable(java)) {
        throw new IllegalStateException("no java at " + java);
      }
      command.add(java.toString());
      if (javaagent != null) {
        if (!Files.isRegularFile(javaagent)) {
          throw new IllegalStateException("javaagent jar " + javaagent
              + " does not exist: build it first (./mvnw -pl javaagent -am package)");
        }
        command.add("-javaagent:" + javaagent + (agentArgs == null ? "" : "=" + agentArgs));
      }
      command.addAll(jvmArgs);
      if (!classpath.isEmpty()) {
        command.add("-cp");
        command.add(String.join(":", classpath));
      }
      if (jar != null) {
        command.add("-jar");
        command.add(jar.toString());
      } else if (mainClass != null) {
        command.add(mainClass);
      } else {
        throw new IllegalStateException("set a main class or a jar for " + name);
      }
      command.addAll(args);
      return gid >= 0 ? Command.asGid(gid, command) : Command.asUid(uid, command);
    }

    public JvmProcess start() {
      List<String> command = command();
      Map<String, String> childEnv = new LinkedHashMap<>();
      System.getenv().keySet().stream()
          .filter(key -> key.startsWith("LANYARD_") || key.equals("JAVA_TOOL_OPTIONS")
              || key.equals("SPIFFE_ENDPOINT_SOCKET") || key.equals("_JAVA_OPTIONS")
              || key.equals("JDK_JAVA_OPTIONS"))
          .forEach(key -> childEnv.put(key, null));
      childEnv.putAll(env);
      TempDir dir = TempDir.create("lanyard-jvm-" + name + "-");
      try {
        ManagedProcess process = ManagedProcess.start(
            name, command, childEnv, dir.path(), dir.path().resolve(name + ".log"));
        return new JvmProcess(process, dir);
      } catch (RuntimeException e) {
        dir.close();
        throw e;
      }
    }
  }
}
