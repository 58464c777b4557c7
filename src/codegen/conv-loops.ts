// The loop nest of a conv step, shared by the float loops (loops.ts) and the integer ones (int8-loops.ts):
// only what happens at each output pixel and each kernel tap differs.
import type { Conv2dStep } from './program-types.js';

/** The declarations a loop nest needs from a language: loop counters and constant indices. */
interface LoopDialect {
  int: string;
  constInt: string;
}

const indent = (lines: string[], by: string) => lines.map((l) => by + l);

/** What a conv step's loops hold: the statements that open each output pixel, the one for each kernel tap, and those that close the pixel. */
export interface ConvLoopBody {
  /** At each output pixel, before the sum (e.g. the accumulator's declaration). */
  open: string[];
  /** At each kernel tap inside the image: x at input index `input` times w at weight index `weight` (both expressions). */
  tap: (input: string, weight: string) => string;
  /** At each output pixel after the sum; `output` is the pixel's output index expression. */
  close: (output: string) => string[];
}

/**
 * The loops of a conv step (float or integer): output channel, output pixel, input channel of the group, kernel
 * rows and columns, skipping taps in the padding (which add nothing: zero, or for codes the zero point).
 */
export function convLoops(step: Conv2dStep, d: LoopDialect, body: ConvLoopBody): string[] {
  const { int } = d;
  const [kh, kw] = step.kernel;
  const [sh, sw] = step.strides;
  const [dh, dw] = step.dilations;
  const [top, left, bottom, right] = step.pads;
  const perGroupIn = step.inChannels / step.group;
  const perGroupOut = step.outChannels / step.group;
  const columns = step.weights.columns;
  const firstChannel = step.group > 1 ? `((oc / ${perGroupOut}) | 0) * ${perGroupIn}` : '0';
  const input = `((ic0 + ic) * ${step.inHeight} + iy) * ${step.inWidth} + ix`;
  const weight = `oc * ${columns} + (ic * ${kh} + ky) * ${kw} + kx`;
  return [
    `for (${int} oc = 0; oc < ${step.outChannels}; oc++) {`,
    `  ${d.constInt} ic0 = ${firstChannel};`,
    `  for (${int} oy = 0; oy < ${step.outHeight}; oy++) {`,
    `    for (${int} ox = 0; ox < ${step.outWidth}; ox++) {`,
    ...indent(body.open, '      '),
    `      for (${int} ic = 0; ic < ${perGroupIn}; ic++) {`,
    `        for (${int} ky = 0; ky < ${kh}; ky++) {`,
    `          ${d.constInt} iy = oy * ${sh} + ky * ${dh} - ${top};`,
    ...(top > 0 || bottom > 0 ? [`          if (iy < 0 || iy >= ${step.inHeight}) continue;`] : []),
    `          for (${int} kx = 0; kx < ${kw}; kx++) {`,
    `            ${d.constInt} ix = ox * ${sw} + kx * ${dw} - ${left};`,
    ...(left > 0 || right > 0 ? [`            if (ix < 0 || ix >= ${step.inWidth}) continue;`] : []),
    `            ${body.tap(input, weight)}`,
    '          }',
    '        }',
    '      }',
    ...indent(body.close(`(oc * ${step.outHeight} + oy) * ${step.outWidth} + ox`), '      '),
    '    }',
    '  }',
    '}',
  ];
}
