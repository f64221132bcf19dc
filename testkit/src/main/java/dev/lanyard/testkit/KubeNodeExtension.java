package dev.lanyard.testkit;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Starts a real single-node cluster ({@link KubeNode}) once per test class and always tears it
 * down; a failed test gets the tail of every component's log.
 *
 * <pre>{@code
 * @RegisterExtension static final KubeNodeExtension node = new KubeNodeExtension();
 * }</pre>
 */
public final class KubeNodeExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
  private KubeNode node;

  public KubeNode node() {
    if (node == null) {
      throw new IllegalStateException(
          "the kube node is not running: register KubeNodeExtension as a static field");
    }
    return node;
  }

  public KubernetesClient client() {
    return node().client();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    node = KubeNode.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (node != null) {
      node.close();
      node = null;
    }
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (node != null) {
      System.err.println("==== kube node logs for failed test " + context.getDisplayName()
          + " ====\n" + node.logs());
    }
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {}
}
