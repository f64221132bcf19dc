package dev.lanyard.agent;

/**
 * Keeps newer JDKs (24+) from printing sun.misc.Unsafe warnings (JEP 471/498) into the
 * application's output on behalf of the javaagent's own copy of Netty (spiffe-tls' Workload API
 * client, relocated to {@code dev.lanyard.shaded.io.netty}): that copy is told not to use Unsafe by
 * its own, relocated property, which no application shares. Netty without Unsafe is fully
 * functional. An operator's own setting always wins.
 *
 * <p>Not silenced: the native-access warning for loading the epoll library. The JDK keeps one
 * native-access flag for all unnamed modules, so enabling it for the agent would enable it for the
 * whole application class path; that is the operator's call ({@code --enable-native-access}).
 */
final class QuietJdk {
  static final String SHADED_NETTY_NO_UNSAFE = "dev.lanyard.shaded.io.netty.noUnsafe";
  private static final int FIRST_WARNING_FEATURE = 24;

  private QuietJdk() {}

  static void apply() {
    if (Runtime.version().feature() >= FIRST_WARNING_FEATURE
        && System.getProperty(SHADED_NETTY_NO_UNSAFE) == null) {
      System.setProperty(SHADED_NETTY_NO_UNSAFE, "true");
    }
  }
}
