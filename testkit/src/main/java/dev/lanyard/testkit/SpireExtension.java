package dev.lanyard.testkit;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Starts a real SPIRE server and SPIRE Agent once per test class and always stops them. When a
 * test fails, the tail of both logs is printed with it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofSeconds(30)).build();
 * }</pre>
 */
public final class SpireExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
  private final SpireOptions options;
  private SpireCluster cluster;

  private SpireExtension(SpireOptions options) {
    this.options = options;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The running cluster (only inside the test class's lifecycle). */
  public SpireCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("SPIRE is not running: register SpireExtension as a static field");
    }
    return cluster;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster = SpireCluster.start(options);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (cluster != null) {
      System.err.println("==== SPIRE logs for failed test " + context.getDisplayName() + " ====\n"
          + cluster.logs());
    }
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {}

  /** Builder over {@link SpireOptions}. */
  public static final class Builder {
    private final SpireOptions.Builder options = SpireOptions.builder();

    public Builder trustDomain(String trustDomain) {
      options.trustDomain(trustDomain);
      return this;
    }

    public Builder svidTtl(Duration ttl) {
      options.svidTtl(ttl);
      return this;
    }

    public Builder jwtTtl(Duration ttl) {
      options.jwtTtl(ttl);
      return this;
    }

    public Builder caTtl(Duration ttl) {
      options.caTtl(ttl);
      return this;
    }

    public SpireExtension build() {
      return new SpireExtension(options.build());
    }
  }
}
