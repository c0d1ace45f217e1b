// Charts of the code cells: Plotly, and the code that lays a chart out (chart.js),
// are fetched only when a chart comes near the viewport, and while Python starts or
// runs, only once it is quiet (quiet.js).

import { whenQuiet } from "./quiet.js";

const CHART_URL = new URL("./chart.js", import.meta.url).href; // not preloaded with the page

let plotly = null;
let chart = null;

export function loadPlotly() {
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("../vendor/plotly-basic.min.js", import.meta.url).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        plotly = null;
        reject(new Error("The chart library could not be loaded."));
      };
      document.head.append(script);
    });
  }
  return plotly;
}

/** Draw a figure into an element now. */
export async function draw(element, figure) {
  chart ??= import(CHART_URL).catch((error) => {
    chart = null;
    throw error;
  });
  const [Plotly, { drawChart }] = await Promise.all([loadPlotly(), chart]);
  await drawChart(Plotly, element, figure);
}

/** Draw every `.plot[data-figure]` in `root` when it nears the viewport. */
export function drawWhenVisible(root = document) {
  const pending = [...root.querySelectorAll(".plot[data-figure]")].filter((el) => !el.dataset.drawn);
  if (!pending.length) return;
  const observer = new IntersectionObserver(
    (entries) => {
      entries.forEach((entry) => {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        entry.target.dataset.drawn = "1";
        // the build's picture of the chart stays until Python has started and run
        whenQuiet()
          .then(() => entry.target.isConnected && draw(entry.target, JSON.parse(entry.target.dataset.figure)))
          .catch((error) => {
            entry.target.textContent = `${error.message} The data is in the table below.`;
          });
      });
    },
    { rootMargin: "300px 0px" },
  );
  pending.forEach((el) => observer.observe(el));
}
