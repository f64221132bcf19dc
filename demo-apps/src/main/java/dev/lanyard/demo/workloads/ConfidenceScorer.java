package dev.lanyard.demo.workloads;

/** The confidence scorer workload: how sure the pipeline can be of the classification. */
public final class ConfidenceScorer {
  private ConfidenceScorer() {}

  public static void main(String[] args) throws Exception {
    AnalysisWorkload.serve("confidence-scorer", "score",
        "Rate how confident the classification in the context is. Answer only with JSON:"
            + " {\"confidence\": <0..1>, \"rationale\": \"<one sentence>\"}.");
  }
}
