import type { ClusterUrls } from '@spark-rstudio-shiny/sdk';

/** The UI URLs as lines for people. */
export function describeUrls(urls: ClusterUrls): string {
  return [
    ...(urls.frontDoor === null
      ? []
      : [
          `Front door    ${urls.frontDoor}  (HTTPS, login: srs credentials; /spark/, /history/, /shiny/)`,
        ]),
    `Spark UI      ${urls.sparkUi}`,
    `Shiny Server  ${urls.shiny ?? '(not published)'}${urls.shiny === null ? '' : `  (the Spark demo app: ${urls.shiny}/spark-demo/)`}`,
    `JupyterLab    ${urls.jupyter ?? '(not published)'}${urls.jupyter === null ? '' : '  (login: srs credentials)'}`,
    `RStudio       ${urls.rstudio ?? '(not published)'}${urls.rstudio === null ? '' : '  (when the image has RStudio Server)'}`,
    `Spark history ${urls.sparkHistory ?? '(not published)'}${urls.sparkHistory === null ? '' : '  (applications that ended)'}`,
    `Spark Connect ${urls.sparkConnect ?? '(off)'}${urls.sparkConnect === null ? '' : '  (token: srs connect-info)'}`,
  ].join('\n');
}
