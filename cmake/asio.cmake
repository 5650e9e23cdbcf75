# Asio, Asio.SSL and Beast compiled once, in a library of their own, so that
# the few files doing I/O include only declarations (two cores: every
# translation unit that instantiates Asio+Beast costs ~20 s).
add_library(wo_asio STATIC ${PROJECT_SOURCE_DIR}/cmake/asio_impl.cpp)
add_library(wo::asio ALIAS wo_asio)
target_compile_definitions(wo_asio PUBLIC
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED)
target_compile_features(wo_asio PUBLIC cxx_std_20)
target_link_libraries(wo_asio PUBLIC Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)

# The targets whose sources do I/O share one precompiled header.
function(wo_use_asio_pch target)
  target_precompile_headers(${target} PRIVATE
    "$<$<COMPILE_LANGUAGE:CXX>:${PROJECT_SOURCE_DIR}/cmake/asio_pch.hpp>")
endfunction()
