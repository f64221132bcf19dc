package dev.lanyard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The webhook report, byte for byte, from fixed figures ({@link WebhookReportFixture}). The
 * expected files were written by the report code as it stood inside WebhookBench before the class
 * was split (issue 21 item 10), so this also shows the split changed no output. What describes
 * this machine (processors, CPU, kernel, JDK, git revision, tool versions) is masked.
 * {@code -Dlanyard.golden.update=true} rewrites the expected files.
 */
class WebhookReportTest {
  private static final Pattern MACHINE_ROW = Pattern.compile(
      "(?m)^\\| (processors \\(nproc\\)|CPU|memory|kernel|JDK \\(bench and webhook JVMs\\)"
          + "|Lanyard|kube-apiserver|etcd) \\| [^|\\n]* \\|$");
  private static final Pattern MACHINE_FIELD = Pattern.compile(
      "(?m)^(\\s*\"(nproc|cpu|mem_total_kb|kernel|jdk|lanyard)\" : ).*?(,?)$");

  @Test
  void theMarkdownReportIsUnchanged() throws IOException {
    String markdown = report().markdown();

    assertThat(MACHINE_ROW.matcher(markdown).results().count()).isEqualTo(8);
    assertThat(masked(markdown)).isEqualTo(expected("webhook.md", masked(markdown)));
  }

  @Test
  void theJsonReportIsUnchanged() throws IOException {
    String json = report().json();

    assertThat(MACHINE_FIELD.matcher(json).results().count()).isEqualTo(6);
    assertThat(masked(json)).isEqualTo(expected("webhook.json", masked(json)));
  }

  private static WebhookReport report() {
    return new WebhookReport(WebhookReportFixture.settings(), WebhookReportFixture.results());
  }

  private static String masked(String report) {
    String rows = MACHINE_ROW.matcher(report).replaceAll("| $1 | <this machine> |");
    return MACHINE_FIELD.matcher(rows).replaceAll("$1\"<this machine>\"$3");
  }

  private static String expected(String name, String actual) throws IOException {
    if (Boolean.getBoolean("lanyard.golden.update")) {
      Files.writeString(Path.of("src/test/resources/reports", name), actual);
    }
    try (InputStream in = WebhookReportTest.class.getResourceAsStream("/reports/" + name)) {
      assertThat(in).as("src/test/resources/reports/%s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
