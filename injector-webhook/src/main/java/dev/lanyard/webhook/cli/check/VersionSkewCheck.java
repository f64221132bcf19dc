package dev.lanyard.webhook.cli.check;

/**
 * A pod runs what the webhook injects today: the version in its {@code lanyard.dev/status}
 * (written at injection) equals the webhook's. A pod injected by an older webhook keeps its old
 * javaagent or sidecar until it is recreated.
 */
public final class VersionSkewCheck {
  private VersionSkewCheck() {}

  /**
   * @param podVersion the status annotation's version, null when unreadable
   */
  public static CheckResult check(String pod, String podVersion, String webhookVersion) {
    String subject = "version of " + pod;
    if (podVersion == null) {
      return CheckResult.fail(
          subject,
          "its lanyard.dev/status annotation is unreadable",
          "recreate the pod so the webhook injects it again");
    }
    if (!podVersion.equals(webhookVersion)) {
      return CheckResult.fail(
          subject,
          "injected by Lanyard " + podVersion + ", the webhook is " + webhookVersion,
          "restart its workload (kubectl rollout restart deployment/<name>) to inject "
              + webhookVersion);
    }
    return CheckResult.pass(subject + ": " + podVersion + ", as the webhook");
  }
}
