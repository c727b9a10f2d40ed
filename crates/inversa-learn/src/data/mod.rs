//! Training and test data: Fashion-MNIST (IDX files, bundled or from Debian's package), the bundled
//! MNIST digits, and folders of images.

pub mod fashion_mnist;
pub mod image_folder;
pub mod mnist_digits;
