from .fashion_mnist_idx import FashionMNISTIDX
from .idx_file import read_idx_file

__all__ = ['FashionMNISTIDX', 'read_idx_file']
