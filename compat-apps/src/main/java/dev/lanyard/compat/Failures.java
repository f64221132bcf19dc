package dev.lanyard.compat;

/** One-line descriptions of exceptions, naming the root cause too. */
public final class Failures {
  private Failures() {}

  /**
   * {@code <class>: <message>}, followed by {@code (root cause <class>: <message>)} when the root
   * cause is another exception; line breaks become spaces so that it stays one line.
   */
  public static String describe(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String text = failure.getClass().getName() + ": " + failure.getMessage();
    String rootText = root.getClass().getName() + ": " + root.getMessage();
    if (root != failure && !rootText.equals(text)) {
      text += " (root cause " + rootText + ")";
    }
    return oneLine(text);
  }

  /** Any text as one line. */
  public static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("[\\r\\n]+\\s*", " ").trim();
  }
}
