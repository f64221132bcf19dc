package dev.lanyard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.matcher.ElementMatchers;
import net.bytebuddy.pool.TypePool;

/**
 * A test-only build of the javaagent: the real jar, byte for byte, except that the named methods
 * of a few of its classes first throw when the JVM's {@value #FAULTS} system property lists them
 * ({@code AgentTlsHooks.trustManagers,AgentTlsHooks.keyManagers}). The production jar has no such
 * code and reads no such property: the fault is a property of this jar, not a switch in Lanyard.
 */
final class FaultyAgentJar {
  /** Comma list of {@code SimpleClassName.method} that throw. */
  static final String FAULTS = "lanyard.test.faults";

  /** Classes (agent class loader, stored as .classdata) and their methods that may fail. */
  private static final Map<String, String[]> FAULTABLE = Map.of(
      "dev.lanyard.agent.AgentTlsHooks", new String[] {"keyManagers", "trustManagers",
          "onSslContextInitialized", "adoptManagers", "onEarlyContextAdopted",
          "requireClientCertificate", "isAuthorizedSpiffePeer", "isAuthorizedSpiffeLeaf",
          "isOwnSvid", "beforeNettySslContextBuild", "jdkHttpRequest", "urlConnectionHeaders",
          "okHttpRequest", "apacheRequest"},
      "dev.lanyard.agent.AgentRuntime", new String[] {"start"},
      "dev.lanyard.agent.BootstrapInjector", new String[] {"inject"});

  private FaultyAgentJar() {}

  static Path build(Path realJar, Path directory) {
    Path faulty = directory.resolve("lanyard-javaagent-faulty.jar");
    try (JarFile jar = new JarFile(realJar.toFile());
        OutputStream file = Files.newOutputStream(faulty);
        JarOutputStream out = new JarOutputStream(file, jar.getManifest())) {
      Enumeration<JarEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        JarEntry entry = entries.nextElement();
        if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
          continue;
        }
        byte[] bytes;
        try (InputStream in = jar.getInputStream(entry)) {
          bytes = in.readAllBytes();
        }
        String className = classData(entry.getName());
        if (className != null && FAULTABLE.containsKey(className)) {
          bytes = withFaults(className, bytes, FAULTABLE.get(className));
        }
        out.putNextEntry(new JarEntry(entry.getName()));
        out.write(bytes);
        out.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the faulty javaagent from " + realJar, e);
    }
    return faulty;
  }

  private static String classData(String entry) {
    String prefix = "inst/";
    if (entry.startsWith(prefix) && entry.endsWith(".classdata")) {
      return entry.substring(prefix.length(), entry.length() - ".classdata".length())
          .replace('/', '.');
    }
    return null;
  }

  private static byte[] withFaults(String className, byte[] classfile, String[] methods) {
    ClassFileLocator locator = new ClassFileLocator.Compound(
        ClassFileLocator.Simple.of(className, classfile),
        ClassFileLocator.ForClassLoader.ofSystemLoader());
    TypePool pool = TypePool.Default.of(locator);
    return new ByteBuddy()
        .redefine(pool.describe(className).resolve(), locator)
        .visit(Advice.to(InjectedFault.class).on(ElementMatchers.namedOneOf(methods)))
        .make()
        .getBytes();
  }

  /** Inlined at the start of each faultable method of the faulty jar. */
  static final class InjectedFault {
    private InjectedFault() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Origin("#t.#m") String method) {
      String faults = System.getProperty("lanyard.test.faults", "");
      String simple = method.substring(method.lastIndexOf('.', method.lastIndexOf('.') - 1) + 1);
      for (String fault : faults.split(",")) {
        if (fault.trim().equals(simple)) {
          throw new IllegalStateException("fault injected by the test into " + simple);
        }
      }
    }
  }
}
