package dev.lanyard.testkit;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Starts a real single-node cluster ({@link KubeNode}) once per test class and always tears it
 * down; a failed test gets the tail of every component's log. {@link #withSpire} adds SPIRE the
 * way clusters run it ({@link SpireOnNode}), started after the node and stopped before it.
 *
 * <pre>{@code
 * @RegisterExtension static final KubeNodeExtension node = new KubeNodeExtension();
 * @RegisterExtension static final KubeNodeExtension withSpire =
 *     new KubeNodeExtension().withSpire(SpireOptions.builder().build());
 * }</pre>
 */
public final class KubeNodeExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
  private SpireOptions spireOptions;
  private KubeNode node;
  private SpireOnNode spire;

  /** Also runs a SPIRE server, the node's SPIRE Agent and spire-controller-manager. */
  public KubeNodeExtension withSpire(SpireOptions options) {
    this.spireOptions = options;
    return this;
  }

  public KubeNode node() {
    if (node == null) {
      throw new IllegalStateException(
          "the kube node is not running: register KubeNodeExtension as a static field");
    }
    return node;
  }

  public SpireOnNode spire() {
    if (spire == null) {
      throw new IllegalStateException("SPIRE is not running on the node: register the extension"
          + " as new KubeNodeExtension().withSpire(options) in a static field");
    }
    return spire;
  }

  public KubernetesClient client() {
    return node().client();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    node = KubeNode.start();
    if (spireOptions != null) {
      try {
        spire = SpireOnNode.start(node, spireOptions);
      } catch (RuntimeException e) {
        afterAll(context);
        throw e;
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (spire != null) {
      spire.close();
      spire = null;
    }
    if (node != null) {
      node.close();
      node = null;
    }
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (node != null) {
      System.err.println("==== kube node logs for failed test " + context.getDisplayName()
          + " ====\n" + node.logs() + (spire == null ? "" : spire.logs()));
    }
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {}
}
