package io.demlearn.core.model;

import java.util.List;

/**
 * A CNN's forward pass written out loop by loop in double precision, from PyTorch's definitions:
 * Conv2d (weight [out, in, kh, kw], zero padding, stride 1), ReLU, MaxPool2d(2, 2), flattening an
 * [C, H, W] map in that order (view(-1, C*H*W)), Linear (weight [out, in]); evaluation mode, so no
 * dropout. Parameters in the order of their definitions, each weight then its bias.
 */
final class ReferenceCnn {
  private ReferenceCnn() {}

  static double[] logits(ConvNet.Layout layout, float[] p, float[] features, int sample) {
    int channels = layout.input().channels();
    int side = layout.input().rows();
    int values = layout.input().values();
    double[] map = new double[values];
    for (int i = 0; i < values; i++) {
      map[i] = features[sample * values + i];
    }
    int at = 0;
    for (ConvNet.Conv c : layout.convs()) {
      int k = c.kernel();
      int outSide = side + 2 * c.pad() - k + 1;
      double[] out = new double[c.out() * outSide * outSide];
      int bias = at + c.out() * channels * k * k;
      for (int o = 0; o < c.out(); o++) {
        for (int y = 0; y < outSide; y++) {
          for (int x = 0; x < outSide; x++) {
            double z = p[bias + o];
            for (int i = 0; i < channels; i++) {
              for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                  int sy = y + ky - c.pad();
                  int sx = x + kx - c.pad();
                  if (sy >= 0 && sy < side && sx >= 0 && sx < side) {
                    double w = p[at + ((o * channels + i) * k + ky) * k + kx];
                    z += w * map[(i * side + sy) * side + sx];
                  }
                }
              }
            }
            out[(o * outSide + y) * outSide + x] = Math.max(0, z);
          }
        }
      }
      at = bias + c.out();
      int pooled = outSide / 2;
      map = new double[c.out() * pooled * pooled];
      for (int o = 0; o < c.out(); o++) {
        for (int y = 0; y < pooled; y++) {
          for (int x = 0; x < pooled; x++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int dy = 0; dy < 2; dy++) {
              for (int dx = 0; dx < 2; dx++) {
                m = Math.max(m, out[(o * outSide + 2 * y + dy) * outSide + 2 * x + dx]);
              }
            }
            map[(o * pooled + y) * pooled + x] = m;
          }
        }
      }
      channels = c.out();
      side = pooled;
    }
    double[] h = map;
    List<Integer> widths = new java.util.ArrayList<>(layout.hidden());
    widths.add(layout.input().classes());
    for (int l = 0; l < widths.size(); l++) {
      int w = widths.get(l);
      double[] next = new double[w];
      int bias = at + w * h.length;
      for (int o = 0; o < w; o++) {
        double z = p[bias + o];
        for (int i = 0; i < h.length; i++) {
          z += p[at + o * h.length + i] * h[i];
        }
        next[o] = l < widths.size() - 1 ? Math.max(0, z) : z;
      }
      at = bias + w;
      h = next;
    }
    if (at != p.length) {
      throw new IllegalStateException("read " + at + " of " + p.length + " parameters");
    }
    return h;
  }
}
