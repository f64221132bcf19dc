package dev.lanyard.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.security.ProtectionDomain;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.Set;
import java.util.zip.ZipEntry;

/**
 * Defines the bridge classes (the only Lanyard classes that instrumented code calls) in the
 * bootstrap class loader, so every class loader sees the same ones. It injects those few
 * classes rather than appending the javaagent jar to the bootstrap search path, because that
 * append turns off class-data sharing for the application's classes (slower start, and a JVM
 * warning on every start). The classes are defined with the JDK's internal Unsafe, which the
 * Instrumentation exports to this module alone: cheaper at start-up than generating an injector.
 */
public final class BootstrapInjector {
  static final List<String> BRIDGE_CLASSES = List.of(
      "dev.lanyard.agent.bootstrap.TlsHooks",
      "dev.lanyard.agent.bootstrap.LanyardManaged",
      "dev.lanyard.agent.bootstrap.HookFailures",
      "dev.lanyard.agent.bootstrap.FailClosedManagers",
      "dev.lanyard.agent.bootstrap.FailClosedManagers$RefusingTrustManager",
      "dev.lanyard.agent.bootstrap.FailClosedManagers$NoKeyManager",
      "dev.lanyard.agent.bootstrap.LanyardBridge",
      "dev.lanyard.agent.bootstrap.SocketHooks",
      "dev.lanyard.agent.bootstrap.SocketBridge");

  private BootstrapInjector() {}

  /** Called reflectively by {@code LanyardPremain} before anything refers to the bridge. */
  public static void inject(Instrumentation instrumentation, File agentJar) throws Exception {
    Map<String, byte[]> classes = readBridgeClasses(agentJar);
    // jdk.internal.misc is not exported; the Instrumentation lets us export it to ourselves only.
    Module javaBase = Object.class.getModule();
    Module ours = BootstrapInjector.class.getModule();
    // javax.net.ssl is opened too: SessionCaches reads each SSLContextSpi's session contexts.
    // sun.net.www is exported too: JwtRequestHeaders adds a JWT-SVID to HttpURLConnection's
    // internal MessageHeader (its public API hides Authorization and refuses changes by then).
    instrumentation.redefineModule(javaBase, Set.of(),
        Map.of("jdk.internal.misc", Set.of(ours), "sun.net.www", Set.of(ours)),
        Map.of("javax.net.ssl", Set.of(ours)),
        Set.of(), Map.of());
    Class<?> unsafeType = Class.forName("jdk.internal.misc.Unsafe");
    Object unsafe = unsafeType.getMethod("getUnsafe").invoke(null);
    Method defineClass = unsafeType.getMethod("defineClass", String.class, byte[].class, int.class,
        int.class, ClassLoader.class, ProtectionDomain.class);
    for (Map.Entry<String, byte[]> type : classes.entrySet()) {
      byte[] bytes = type.getValue();
      defineClass.invoke(unsafe, type.getKey(), bytes, 0, bytes.length, null, null);
    }
  }

  private static Map<String, byte[]> readBridgeClasses(File agentJar) throws IOException {
    Map<String, byte[]> classes = new LinkedHashMap<>();
    try (JarFile jar = new JarFile(agentJar)) {
      for (String name : BRIDGE_CLASSES) {
        ZipEntry entry = jar.getEntry(name.replace('.', '/') + ".class");
        if (entry == null) {
          throw new IOException(name + " is missing from " + agentJar);
        }
        try (InputStream in = jar.getInputStream(entry)) {
          classes.put(name, in.readAllBytes());
        }
      }
    }
    return classes;
  }
}
