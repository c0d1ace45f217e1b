// Charts: Plotly is fetched only when a chart comes near the viewport.

let plotly = null;

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

function themeColors() {
  const style = getComputedStyle(document.documentElement);
  const value = (name) => style.getPropertyValue(name).trim();
  return { ink: value("--ink"), ink2: value("--ink-2"), rule: value("--rule"), accent: value("--accent"), link: value("--link") };
}

/** Plotly traces and layout for a figure made by plot_xy. */
export function plotlyFigure(figure) {
  const colors = themeColors();
  const palette = [colors.accent, colors.link, colors.ink2];
  const axis = (a) => ({
    title: { text: a.title || "" },
    type: a.type || "linear",
    gridcolor: colors.rule,
    zerolinecolor: colors.rule,
    linecolor: colors.ink2,
    exponentformat: "power",
  });
  return {
    data: figure.traces.map((t, i) => ({
      ...t,
      type: "scatter",
      line: { color: palette[i % palette.length], width: 2 },
      marker: { size: 6 },
    })),
    layout: {
      title: figure.layout.title ? { text: figure.layout.title, font: { size: 14 } } : undefined,
      xaxis: axis(figure.layout.xaxis || {}),
      yaxis: axis(figure.layout.yaxis || {}),
      margin: { l: 64, r: 16, t: figure.layout.title ? 40 : 16, b: 52 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: colors.ink, family: "system-ui, sans-serif", size: 12 },
      showlegend: figure.traces.length > 1,
      legend: { orientation: "h", y: -0.25 },
      autosize: true,
    },
    config: { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] },
  };
}

/** Draw a figure into an element now. */
export async function draw(element, figure) {
  const Plotly = await loadPlotly();
  const { data, layout, config } = plotlyFigure(figure);
  await Plotly.react(element, data, layout, config);
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
        draw(entry.target, JSON.parse(entry.target.dataset.figure)).catch((error) => {
          entry.target.textContent = `${error.message} The data is in the table below.`;
        });
      });
    },
    { rootMargin: "300px 0px" },
  );
  pending.forEach((el) => observer.observe(el));
}
