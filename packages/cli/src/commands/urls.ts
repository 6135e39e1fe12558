import type { ClusterUrls } from '@spark-rstudio-shiny/sdk';

/** The UI URLs as lines for people. */
export function describeUrls(urls: ClusterUrls): string {
  const line = (label: string, url: string | null, note: string): string =>
    `${label.padEnd(14)}${url ?? '(not published)'}${url === null ? '' : note}`;
  return [
    ...(urls.frontDoor === null
      ? []
      : [`Front door    ${urls.frontDoor}  (HTTPS, one login for all below: srs credentials)`]),
    line('Spark UI', urls.sparkUi, ''),
    line('Shiny Server', urls.shiny, `  (the Spark demo app: ${urls.shiny ?? ''}/spark-demo/)`),
    line('JupyterLab', urls.jupyter, '  (login: srs credentials)'),
    line('RStudio', urls.rstudio, '  (when the image has RStudio Server)'),
    line('Spark history', urls.sparkHistory, '  (applications that ended)'),
    `Spark Connect ${urls.sparkConnect ?? '(off)'}${urls.sparkConnect === null ? '' : '  (token: srs connect-info)'}`,
  ].join('\n');
}
