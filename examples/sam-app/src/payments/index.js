exports.handler = async (event) => {
  return { statusCode: 201, body: JSON.stringify({ paid: true }) };
};
