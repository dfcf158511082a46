// Chart.js, bundled with the console (served from its npm package at /vendor/), loaded on the first chart.
import type { Chart as ChartClass } from 'chart.js';

declare global {
  interface Window {
    Chart?: typeof ChartClass;
  }
}

let loading: Promise<typeof ChartClass> | undefined;

export function loadChartJs(): Promise<typeof ChartClass> {
  loading ??= new Promise((resolve, reject) => {
    if (window.Chart) return resolve(window.Chart);
    const script = document.createElement('script');
    script.src = '/vendor/chart.umd.min.js';
    script.onload = () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js did not load')));
    script.onerror = () => {
      loading = undefined;
      reject(new Error('Chart.js could not be loaded'));
    };
    document.head.appendChild(script);
  });
  return loading;
}

/** A CSS custom property of the page (the charts follow the light or dark palette). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
