/** CSV text of the first `count` MNIST digits of the `mnist` package that fixtures/mnist-mlp/test.csv does not hold. */
export function calibrationCsv(count?: number): string;
