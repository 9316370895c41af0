// asciichart 1.5.25 ships no types: the part of its API pg-dts uses.
declare module 'asciichart' {
  export interface PlotConfig {
    min?: number;
    max?: number;
    height?: number;
    offset?: number;
    padding?: string;
    format?: (value: number, index: number) => string;
    symbols?: string[];
    colors?: string[];
  }
  export function plot(series: number[] | number[][], config?: PlotConfig): string;
}
