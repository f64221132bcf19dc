package dev.lanyard.agent.upgrade.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.Label;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket hooks' transformer on the real JDK class bytes (those of the JDK running the test:
 * run it on 17 and on 25), on a class made to exercise every path, and in a child JVM that
 * verifies the transformed JDK classes and calls through them.
 */
class JdkSocketHooksTest {
  private static final String BRIDGE = "dev/lanyard/agent/bootstrap/SocketBridge";

  @TempDir
  Path dir;

  @Test
  void everyHookFindsItsMethodInThisJdkAndCallsTheBridgeThere() throws IOException {
    Reports reports = new Reports();
    List<MethodHook> hooks = JdkSocketHooks.of(true, true);
    HookingTransformer transformer = new HookingTransformer(hooks, null, feature(), reports);

    Map<String, List<String>> calls = new TreeMap<>();
    for (String owner : transformer.owners()) {
      byte[] hooked = transformer.transform(null, null, owner, null, null, jdkClass(owner));
      assertThat(hooked).as(owner).isNotNull();
      calls.putAll(bridgeCalls(hooked, owner));
    }

    assertThat(reports.notFound).isEmpty();
    assertThat(reports.failed).isEmpty();
    assertThat(reports.hooked).containsExactlyInAnyOrder("java.net.Socket",
        "java.net.ServerSocket", "sun.nio.ch.SocketChannelImpl",
        "sun.nio.ch.ServerSocketChannelImpl");
    // Entry call first, one exit call per return, and the catch-all handler's call last.
    // Connect hooks have no exit: their methods' own catch-all handlers (finally) are not ours.
    for (String connect : List.of("java/net/Socket.connect(Ljava/net/SocketAddress;I)V",
        "java/net/Socket.connect(Ljava/net/SocketAddress;)V",
        "sun/nio/ch/SocketChannelImpl.connect(Ljava/net/SocketAddress;)Z",
        "sun/nio/ch/SocketChannelImpl.blockingConnect(Ljava/net/SocketAddress;J)V")) {
      assertThat(calls.get(connect)).as(connect).filteredOn(call -> !call.equals("catch-all"))
          .containsExactly("beforeConnect");
    }
    for (String bind : List.of("java/net/ServerSocket.bind(Ljava/net/SocketAddress;I)V",
        "sun/nio/ch/ServerSocketChannelImpl.bind(Ljava/net/SocketAddress;I)"
            + "Ljava/nio/channels/ServerSocketChannel;")) {
      assertThat(calls.get(bind)).as(bind).startsWith("beforeBind", "afterBind")
          .endsWith("afterBind", "catch-all", "afterBind")
          .doesNotContain("beforeConnect", "closed");
    }
    for (String close : List.of("java/net/ServerSocket.close()V",
        "sun/nio/ch/ServerSocketChannelImpl.implCloseSelectableChannel()V")) {
      assertThat(calls.get(close)).as(close).startsWith("closed")
          .endsWith("closed", "catch-all", "closed");
    }
    assertThat(calls).as("no other method is touched").hasSize(8);
  }

  @Test
  void aMissingMethodIsReportedOnceAndTheOthersAreStillHooked() throws IOException {
    Reports reports = new Reports();
    MethodHook missing = MethodHook.jdk("java/net/Socket", "connect",
        "(Ljava/net/SocketAddress;J)V", BRIDGE).replacingArgument0("beforeConnect");
    List<MethodHook> hooks = new ArrayList<>(JdkSocketHooks.outbound());
    hooks.add(missing);
    HookingTransformer transformer = new HookingTransformer(hooks, null, feature(), reports);

    byte[] first = transformer.transform(null, null, "java/net/Socket", null, null,
        jdkClass("java/net/Socket"));
    // A retransformation hands the same bytes again: no second line.
    transformer.transform(null, null, "java/net/Socket", Object.class, null,
        jdkClass("java/net/Socket"));

    assertThat(reports.notFound).containsExactly(missing);
    assertThat(missing.toString())
        .isEqualTo("java.net.Socket.connect(Ljava/net/SocketAddress;J)V");
    assertThat(bridgeCalls(first, "java/net/Socket")).containsOnlyKeys(
        "java/net/Socket.connect(Ljava/net/SocketAddress;I)V",
        "java/net/Socket.connect(Ljava/net/SocketAddress;)V");
  }

  @Test
  void aMethodTheRunningJdkDoesNotHaveYetIsNoFault() throws IOException {
    Reports reports = new Reports();
    MethodHook future = MethodHook.jdk("java/net/Socket", "connect",
        "(Ljava/net/SocketAddress;J)V", BRIDGE).replacingArgument0("beforeConnect")
        .since(feature() + 1);
    new HookingTransformer(List.of(future), null, feature(), reports)
        .transform(null, null, "java/net/Socket", null, null, jdkClass("java/net/Socket"));

    assertThat(reports.notFound).isEmpty();
    assertThat(reports.failed).isEmpty();
  }

  @Test
  void aClassThatCannotBeReadIsLeftAsItWasAndReported() {
    Reports reports = new Reports();
    HookingTransformer transformer =
        new HookingTransformer(JdkSocketHooks.outbound(), null, feature(), reports);

    byte[] result = transformer.transform(null, null, "java/net/Socket", null, null,
        new byte[] {(byte) 0xCA, (byte) 0xFE, 1, 2});

    assertThat(result).isNull();
    assertThat(reports.failed).containsExactly("java.net.Socket");
    assertThat(reports.hooked).isEmpty();
  }

  @Test
  void jdkHooksLeaveClassesOfOtherLoadersAndUnnamedClassesAlone() throws IOException {
    Reports reports = new Reports();
    ClassLoader agentLoader = new ClassLoader() { };
    HookingTransformer transformer =
        new HookingTransformer(JdkSocketHooks.outbound(), agentLoader, feature(), reports);
    byte[] socket = jdkClass("java/net/Socket");

    assertThat(transformer.transform(null, getClass().getClassLoader(), "java/net/Socket", null,
        null, socket)).isNull();
    assertThat(transformer.transform(null, agentLoader, "java/net/Socket", null, null, socket))
        .isNull();
    assertThat(transformer.transform(null, null, null, null, null, socket)).isNull();
    assertThat(transformer.transform(null, null, "java/net/Socket", null, null, socket))
        .isNotNull();
  }

  /**
   * Every kind of hook on a class made for it, loaded (and so verified) by a class loader of its
   * own: the argument replaced, the exit told of returns and of throws (the method's own handler
   * still first), the exception the caller gets unchanged, a boolean return overridden.
   */
  @Test
  void eachKindOfHookRunsWhereItShouldAndLeavesTheOutcomeAlone() throws Exception {
    String owner = Fake.class.getName().replace('.', '/');
    String bridge = Bridge.class.getName().replace('.', '/');
    Reports reports = new Reports();
    HookingTransformer transformer = new HookingTransformer(List.of(
        MethodHook.library(owner, "bind", "(Ljava/net/SocketAddress;I)Ljava/lang/Object;", bridge)
            .replacingArgument0("beforeBind")
            .onExit(MethodHook.Exit.THIS_AND_THROWN, "afterBind"),
        MethodHook.library(owner, "close", "(Z)V", bridge).onExit(MethodHook.Exit.THIS, "closed"),
        MethodHook.library(owner, "isAvailable", "()Z", bridge)
            .onExit(MethodHook.Exit.FILTER_RETURN, "available"),
        // The shape of a static isAvailable() whose bridge asks who called (native transports).
        MethodHook.library(owner, "isSupported", "()Z", bridge)
            .onExit(MethodHook.Exit.FILTER_RETURN_WITH_CLASS, "supported")),
        null, feature(), reports);
    byte[] hooked = transformer.transform(null, getClass().getClassLoader(), owner, null, null,
        testClass(owner));
    assertThat(reports.notFound).isEmpty();
    assertThat(reports.failed).isEmpty();
    Class<?> fake = new Defining(Fake.class.getName(), hooked).loadClass(Fake.class.getName());
    assertThat(fake.getClassLoader()).isNotSameAs(Fake.class.getClassLoader());
    Object instance = fake.getConstructor().newInstance();
    Method bind = fake.getMethod("bind", SocketAddress.class, int.class);
    Method close = fake.getMethod("close", boolean.class);
    Bridge.calls.clear();

    assertThat(bind.invoke(instance, new InetSocketAddress(1), 7)).isSameAs(instance);
    assertThat(fake.getField("bound").get(instance)).isEqualTo(new InetSocketAddress(2));
    assertThat(Bridge.calls).containsExactly("beforeBind 0.0.0.0/0.0.0.0:1", "afterBind ok");

    Bridge.calls.clear();
    assertThatThrownBy(() -> invoke(bind, instance, new InetSocketAddress(1), -1))
        .isExactlyInstanceOf(BindException.class).hasMessage("backlog -1");
    assertThat(Bridge.calls).containsExactly("beforeBind 0.0.0.0/0.0.0.0:1",
        "afterBind java.net.BindException: backlog -1");

    Bridge.calls.clear();
    assertThatThrownBy(() -> invoke(bind, instance, new InetSocketAddress(Bridge.REFUSED), 7))
        .isExactlyInstanceOf(IOException.class).hasMessage("refused by the bridge");
    assertThat(Bridge.calls).as("a refused entry runs neither the method nor its exit")
        .containsExactly("beforeBind 0.0.0.0/0.0.0.0:" + Bridge.REFUSED);

    Bridge.calls.clear();
    close.invoke(instance, false);
    assertThatThrownBy(() -> invoke(close, instance, true))
        .isExactlyInstanceOf(IllegalStateException.class).hasMessage("close failed");
    assertThat(Bridge.calls).containsExactly("closed", "closed");

    assertThat(fake.getMethod("isAvailable").invoke(null)).isEqualTo(false);
    Bridge.calls.clear();
    assertThat(fake.getMethod("isSupported").invoke(null)).isEqualTo(false);
    assertThat(Bridge.calls).containsExactly("supported true by " + Fake.class.getName()
        + " of the hooked class's loader: " + (Bridge.asked == fake));
    assertThat(Bridge.asked).isSameAs(fake);
  }

  /**
   * The real JDK classes, hooked in a JVM that verifies bootstrap classes: the ones loaded
   * before the install are retransformed, the others transformed as they load; every hooked
   * method calls the bridge and keeps its outcome.
   */
  @Test
  void theHookedJdkClassesVerifyAndCallTheBridgeInARealJvm() throws Exception {
    Path boot = dir.resolve("boot/dev/lanyard/agent/bootstrap");
    Files.createDirectories(boot);
    Path classes = Path.of(dev.lanyard.agent.bootstrap.SocketBridge.class.getProtectionDomain()
        .getCodeSource().getLocation().toURI()).resolve("dev/lanyard/agent/bootstrap");
    for (String name : List.of("SocketBridge", "SocketHooks", "HookFailures")) {
      Files.copy(classes.resolve(name + ".class"), boot.resolve(name + ".class"));
    }
    Path agent = dir.resolve("probe.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Premain-Class", SocketHooksProbe.class.getName());
    manifest.getMainAttributes().putValue("Can-Retransform-Classes", "true");
    new JarOutputStream(Files.newOutputStream(agent), manifest).close();
    Path verification = dir.resolve("verification.log");
    Path output = dir.resolve("probe.out");
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UnlockDiagnosticVMOptions", "-XX:+BytecodeVerificationLocal", "-Xshare:off",
        "-Xlog:verification=info:file=" + verification,
        "-Xbootclasspath/a:" + dir.resolve("boot"),
        "-javaagent:" + agent,
        "-cp", System.getProperty("java.class.path"),
        SocketHooksProbe.class.getName())
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(output);
    assertThat(process.exitValue()).as(out).isZero();

    assertThat(out).doesNotContain("NOT FOUND", "FAILED", "VerifyError");
    assertThat(out).contains("hooked java.net.ServerSocket\n", "hooked java.net.Socket\n",
        "hooked sun.nio.ch.ServerSocketChannelImpl\n", "hooked sun.nio.ch.SocketChannelImpl\n");
    List<String> lines = out.lines().filter(line -> !line.startsWith("hooked "))
        .collect(Collectors.toList());
    String server = "sun.nio.ch.ServerSocketChannelImpl";
    assertThat(lines.get(0)).isEqualTo("loaded before install: java.net.ServerSocket");
    assertThat(lines).containsSubsequence(
        "call beforeBind " + server + " /0.0.0.0:1",
        "call afterBind " + server + " ok");
    assertThat(lines).anyMatch(line -> line.matches("channel bound /127\\.0\\.0\\.1:\\d+"));
    assertThat(lines).containsSubsequence(
        "call beforeConnect sun.nio.ch.SocketChannelImpl mesh.test/10.255.255.1:80",
        "channel connect returned true to /127.0.0.1:" + port(lines),
        "call beforeConnect sun.nio.ch.SocketChannelImpl mesh.test/10.255.255.1:80",
        "adaptor connected to /127.0.0.1:" + port(lines),
        "call beforeConnect java.net.Socket mesh.test/10.255.255.1:80",
        "socket connected to /127.0.0.1:" + port(lines),
        "call beforeConnect java.net.Socket refused.test/10.255.255.2:81",
        "socket connect threw java.io.IOException: lanyard test: refused"
            + " refused.test/10.255.255.2:81",
        "call beforeBind java.net.ServerSocket /127.0.0.1:" + port(lines),
        "call afterBind java.net.ServerSocket java.net.BindException",
        "call closed java.net.ServerSocket",
        "server socket bind threw java.net.BindException",
        "call beforeBind java.net.ServerSocket /0.0.0.0:1",
        "call afterBind java.net.ServerSocket ok",
        "call closed java.net.ServerSocket",
        "call closed " + server,
        "done");
    assertThat(lines)
        .anyMatch(line -> line.matches("server socket bound \\S*/127\\.0\\.0\\.1:\\d+"));
    // The child really verified the hooked JDK classes (the default skips bootstrap classes).
    String verified = Files.readString(verification);
    for (String type : List.of("java.net.Socket", "java.net.ServerSocket",
        "sun.nio.ch.SocketChannelImpl", "sun.nio.ch.ServerSocketChannelImpl")) {
      assertThat(verified).contains("Verifying class " + type + " with new format");
    }
  }

  private static String port(List<String> lines) {
    return lines.stream().filter(line -> line.startsWith("channel bound /127.0.0.1:"))
        .findFirst().orElseThrow().replaceFirst(".*:", "");
  }

  private static Object invoke(Method method, Object target, Object... args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static int feature() {
    return Runtime.version().feature();
  }

  private static byte[] jdkClass(String internalName) throws IOException {
    try (InputStream in = ClassLoader.getSystemResourceAsStream(internalName + ".class")) {
      assertThat(in).as(internalName).isNotNull();
      return in.readAllBytes();
    }
  }

  private static byte[] testClass(String internalName) throws IOException {
    try (InputStream in = JdkSocketHooksTest.class.getClassLoader()
        .getResourceAsStream(internalName + ".class")) {
      return in.readAllBytes();
    }
  }

  /**
   * Per hooked method (owner.name+descriptor), the bridge methods it calls in code order, with
   * "catch-all" where the last catch-all handler (the hook's, added last) starts.
   */
  private static Map<String, List<String>> bridgeCalls(byte[] classfile, String owner) {
    Map<String, List<String>> calls = new TreeMap<>();
    new ClassReader(classfile).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor,
          String signature, String[] exceptions) {
        String key = owner + "." + name + descriptor;
        return new MethodVisitor(Opcodes.ASM9) {
          private final List<String> found = new ArrayList<>();
          private Label catchAll;

          @Override
          public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
            catchAll = type == null ? handler : catchAll;
          }

          @Override
          public void visitLabel(Label label) {
            if (label == catchAll && !found.isEmpty()) {
              found.add("catch-all");
            }
          }

          @Override
          public void visitMethodInsn(int opcode, String ownerName, String name,
              String descriptor, boolean isInterface) {
            if (ownerName.equals(BRIDGE)) {
              found.add(name);
            }
          }

          @Override
          public void visitEnd() {
            if (!found.isEmpty()) {
              calls.put(key, found);
            }
          }
        };
      }
    }, 0);
    return calls;
  }

  private static final class Reports implements HookingTransformer.Report {
    final List<String> hooked = new ArrayList<>();
    final List<MethodHook> notFound = new ArrayList<>();
    final List<String> failed = new ArrayList<>();

    @Override
    public void hooked(String type) {
      hooked.add(type);
    }

    @Override
    public void notFound(MethodHook hook) {
      notFound.add(hook);
    }

    @Override
    public void failed(String type, Throwable failure) {
      failed.add(type);
    }
  }

  /** Defines one class itself from the given bytes; everything else comes from its parent. */
  private static final class Defining extends ClassLoader {
    private final String name;
    private final byte[] bytes;

    Defining(String name, byte[] bytes) {
      super(JdkSocketHooksTest.class.getClassLoader());
      this.name = name;
      this.bytes = bytes;
    }

    @Override
    protected Class<?> loadClass(String className, boolean resolve)
        throws ClassNotFoundException {
      if (className.equals(name)) {
        synchronized (getClassLoadingLock(className)) {
          Class<?> loaded = findLoadedClass(className);
          return loaded != null ? loaded : defineClass(className, bytes, 0, bytes.length);
        }
      }
      return super.loadClass(className, resolve);
    }
  }

  /** What the hooks call in {@link #eachKindOfHookRunsWhereItShouldAndLeavesTheOutcomeAlone}. */
  public static final class Bridge {
    static final int REFUSED = 9;
    static final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    private Bridge() {}

    public static SocketAddress beforeBind(Object server, SocketAddress requested)
        throws IOException {
      calls.add("beforeBind " + requested);
      if (((InetSocketAddress) requested).getPort() == REFUSED) {
        throw new IOException("refused by the bridge");
      }
      return new InetSocketAddress(2);
    }

    public static void afterBind(Object server, Throwable failure) {
      calls.add("afterBind " + (failure == null ? "ok" : failure.toString()));
    }

    public static void closed(Object server) {
      calls.add("closed");
    }

    public static boolean available(boolean available) {
      return false;
    }

    static volatile Class<?> asked;

    public static boolean supported(boolean supported, Class<?> owner) {
      asked = owner;
      calls.add("supported " + supported + " by " + owner.getName() + " of the hooked class's"
          + " loader: " + (owner.getClassLoader() != Fake.class.getClassLoader()));
      return false;
    }
  }

  /** A stand-in with a handler of its own, a throw path and a boolean return. */
  public static final class Fake {
    public SocketAddress bound;

    public Object bind(SocketAddress local, int backlog) throws IOException {
      if (backlog < 0) {
        throw new BindException("backlog " + backlog);
      }
      try {
        if (backlog == 7) {
          throw new IllegalStateException("caught by the method itself");
        }
      } catch (IllegalStateException e) {
        bound = null;
      }
      bound = local;
      return this;
    }

    public void close(boolean fail) {
      if (fail) {
        throw new IllegalStateException("close failed");
      }
    }

    public static boolean isAvailable() {
      return true;
    }

    public static boolean isSupported() {
      return true;
    }
  }
}
