// CloudFront Function (viewer request, JavaScript runtime 2.0): the web app's client routes (/, /projects,
// /assets-view/…) get index.html; a path whose last segment has a dot is a file and goes to S3 as asked, so
// a missing file stays a 404 instead of becoming the app. tests/infra/test_web.py runs this file in node.
function handler(event) {
  var request = event.request;
  var last = request.uri.split("/").pop();
  if (last.indexOf(".") === -1) {
    request.uri = "/index.html";
  }
  return request;
}
