package org.sparkrstudioshiny.srspark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.GeneralizedLinearRegression;
import org.apache.spark.ml.regression.GeneralizedLinearRegressionModel;
import org.apache.spark.ml.regression.GeneralizedLinearRegressionTrainingSummary;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The MLlib fit srspark falls back to when a design is too ill-conditioned for its own normal
 * equations. Takes the design R built (columns c1 … cp, response srs_y, prior weights srs_pw)
 * and returns numbers only, so that both bridges read the answer the same way.
 */
public final class GlmFallback {
  private GlmFallback() {}

  /**
   * Fits and returns, as little-endian doubles: the intercept (0 without one), the p
   * coefficients, the intercept's standard error (NaN without one), the p standard errors, the
   * deviance, the null deviance, the residual degrees of freedom, the number of rows and the
   * dispersion (1 for binomial and poisson; estimated for the others, as MLlib's summary has it).
   */
  public static byte[] fit(Dataset<Row> design, int features, String family, String link,
      boolean intercept, boolean weighted, double tolerance, int maxIterations) {
    String[] columns = new String[features];
    for (int i = 0; i < features; i++) {
      columns[i] = "c" + (i + 1);
    }
    Dataset<Row> assembled = new VectorAssembler().setInputCols(columns).setOutputCol("srs_features").transform(design);
    GeneralizedLinearRegression regression = new GeneralizedLinearRegression()
        .setFamily(family)
        .setLink(link)
        .setFeaturesCol("srs_features")
        .setLabelCol("srs_y")
        .setFitIntercept(intercept)
        .setRegParam(0.0)
        .setTol(tolerance)
        .setMaxIter(maxIterations);
    if (weighted) {
      regression.setWeightCol("srs_pw");
    }
    GeneralizedLinearRegressionModel model = regression.fit(assembled);
    GeneralizedLinearRegressionTrainingSummary summary = model.summary();
    double[] coefficients = model.coefficients().toArray();
    double[] errors = summary.coefficientStandardErrors();
    ByteBuffer out = ByteBuffer.allocate(8 * (2 * features + 7)).order(ByteOrder.LITTLE_ENDIAN);
    out.putDouble(intercept ? model.intercept() : 0.0);
    for (double value : coefficients) {
      out.putDouble(value);
    }
    // MLlib lists the intercept's standard error last.
    out.putDouble(intercept ? errors[features] : Double.NaN);
    for (int i = 0; i < features; i++) {
      out.putDouble(errors[i]);
    }
    out.putDouble(summary.deviance());
    out.putDouble(summary.nullDeviance());
    out.putDouble(summary.residualDegreeOfFreedom());
    out.putDouble(summary.numInstances());
    out.putDouble(summary.dispersion());
    return out.array();
  }
}
