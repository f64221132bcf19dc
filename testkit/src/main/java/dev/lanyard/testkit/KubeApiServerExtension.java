package dev.lanyard.testkit;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Starts a real etcd + kube-apiserver once per test class and always stops them; a failed test
 * gets the tail of their logs.
 *
 * <pre>{@code
 * @RegisterExtension static final KubeApiServerExtension kube = new KubeApiServerExtension();
 * }</pre>
 */
public final class KubeApiServerExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
  private KubeApiServer server;

  public KubeApiServer server() {
    if (server == null) {
      throw new IllegalStateException(
          "kube-apiserver is not running: register KubeApiServerExtension as a static field");
    }
    return server;
  }

  public KubernetesClient client() {
    return server().adminClient();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = KubeApiServer.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (server != null) {
      System.err.println("==== kube-apiserver logs for failed test " + context.getDisplayName()
          + " ====\n" + server.logs());
    }
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {}
}
