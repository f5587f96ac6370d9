package dev.tessera.gpu.kernels;

/**
 * The sum and the maximum of a vector, computed in one pass.
 *
 * @param sum the sum, accumulated in double precision (both backends), so it is exact to float
 *     rounding for any length a Java array can hold; NaN if any element is NaN
 * @param max the largest element that is not NaN; {@code -Infinity} when every element is NaN
 */
public record SumMax(double sum, float max) {}
